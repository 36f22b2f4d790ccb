FRaÿrÿcsy\
#
#yEk
# neF