 ckFcrtch
COPY 3òruu  b
