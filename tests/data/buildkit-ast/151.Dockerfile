FRaÿrÿcsy\
#
#yEk
# neFbin/2