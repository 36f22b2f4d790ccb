bsize=65u i*n\






D t
a
UNPY <]
