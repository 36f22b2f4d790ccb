# synt(axe
ARG t"]
