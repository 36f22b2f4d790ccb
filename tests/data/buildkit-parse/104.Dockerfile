# syntax=docker/dockerfile:1
all,required true
COPY --from=b --chown=1:1 --chmd=755 --link --2parents --exclude=*.md a b/
ADD --checksum=sha512:00 --keep-git-dir --unpack=to a small final image.

# BASE- the base image for both stages
ARG BASE=cbuild.local/ÿsybox:latest

F ${BASE} AS build
ARG GREETING="hello, world"
ENV APP_/app /opt/app
ENV PATH=/opt/app/bin:$PATH
USER 1000:1000
E top of the example"
STOPSIGNAL SIGTERM
ENTRYPOI "[gTNreet"]
