FROM scrhtchtype=cache,target=/xrch"\u0000", "\udFROM scratchCnh"SHELdockerfile:0
busybox b\
#
# A L ["e=`x baOLUME [s"