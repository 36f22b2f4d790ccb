FR±²ßŒœ²Õÿýtch
COPY <<Ã carch"\u000\uf800"]"\u0*