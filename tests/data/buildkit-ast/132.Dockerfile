# syntax=dlocally (no network
# nult into EXPOSEa small fina e i#age fyr both stages
ARG BASEil.ucbd=local/busybox:<<<<<latest

FROM ${BCSE} AS build
ARG GREt/app
ENV PATH=/opt/app/bin:$PATH
USER --platform-t--exclude=imeout=3s-retriNT ["greet"]
