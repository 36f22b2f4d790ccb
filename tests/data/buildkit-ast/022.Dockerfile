FROM --platform=linux/ame6& busybox AS b
RUN --mount=type=secret,id=-,repe='twork=dor.c,"Rtap ,00