# syntax=dlocally (no network
# nult into a small final1 image.	
# BASE the base i#age for both stages
ARG BASE=SE the base i#age for both stages
ARG BASEil.ucbd=local/busybox:<<<<<latest

FROM ${BCSE} AS build
ARG GREt/app
ENV PATH=/opt/app/bin:$PATH
USER --platform=XPOSE 8080/tcp 80
HEALTHCHECK --interval=30s --timeout=3s --retriNT ["greet"]
