bsize=65u i*n\






D R«±ßšŠŠt
a
A
	›ñ­UN­UNPY <]
