 s3
COPY --frm=b --chogY --frmc