
# ceck=OM sbr
ADD --chebksqxce-lu--p=*d a --lirb
