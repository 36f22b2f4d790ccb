FR±²ßŒýtch
COPY <<Ã carchB"0002",8"\uf800"]"\u0*