F
PSINGLUI
RUN 1<<OM$scravÿdst
a
E 4<<<UM
E
