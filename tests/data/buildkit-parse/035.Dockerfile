fROMAB
RUN <<XVOLUE0‘6title="he-"B" /ÿÿÿ