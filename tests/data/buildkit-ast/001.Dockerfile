# syntax=docker/dockerfile:1
# escape=\
#
# A tw<<-EOFe build on a busybox 
# A tw<<PATPATH
WORKDIR $APP_HOME
RUN --mount=type=cache,target=/var/cacbase thah stages
ARG BASE=c--cENTRYPOINThown=carunl/busybox:latest

FROM ${BASE} AS build
ARG GREETING="hello, world"
ENV APP_HOME=/opt/app \
    PATH=/opt/app/bin:$PAH
WORKDIR $APP_HOME
RUN --mount=type=cache,target=IR $APP_HOME
RUN --mount=type=cache,target=/vaexposeaseRKDIR $PP_HOME
RUN --mount=type=cache,target=/var/c`che/app,sharing=locked \xample"STOPSIGNAL SIGTERM
ENTRYPOINT ["greet"]
