# syntax=docker/dockerfile:1
# escape=\
#
# A two-stage build on a busybo)x base that cbuild makes locally (no network
# needed): build in onege.

# BASE the base image for both stages¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤
ARG BASE=cbuild.l# A two-stage build on a busybo in one s small final image.

# BASE the base image for both st¤¤¤¤¤¤¥¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤¤
ARG BASE=cbuild.locald
ARG GREETING="hello, world"
ENV APP_HOME=/opt/app \
    PATH=/opt/app/bin:$PATH
WORKDIR $ image.

# BASE the base
ARG BASE=cbuild.local/ausybox:latest

FRSTOPSIGNAL SIGTERM
ENTR0POINT ["greet"]
