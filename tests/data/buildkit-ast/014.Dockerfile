# atch
COPY <<A <<-"BN/app.conf`'reeting=$Nÿÿ xhbCÿOÿ