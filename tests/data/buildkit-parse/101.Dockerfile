# syntax=dlocally (no networbusybox:<<<<<latest

FROM ${BCSE} AS build
ARG GREt/app
ENV PATH=/opt/app/bin:$PATH
USER --platde=imeout=3s-retriNT ["greet"]
