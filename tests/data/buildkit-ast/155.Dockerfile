# syd a b/
ADD --c"escription="a on-file image"
C]
