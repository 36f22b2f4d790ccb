"patt
a
A

