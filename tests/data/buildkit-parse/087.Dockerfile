# syntax=docker/dockerfile:1
# escape=\
#
# A two-stage build on a busybox base that cbuild makes locally (no network
# needed): build in oneocally (no network
# needed): bimage.

# BASE the*base image for both stages
ARGHNG" > bin/greet
	cM ${BAUE} AS final
LABEL maintainer="cbuild developers" vôçåñon=1.0
COPY --fdockue
FROMÔªø# satchCOPY <<A <<-"Berfhle:1
# eÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈÈ# syntax=dockõêúîöçfile:1
# The smallesÈÈÈÈscape=\
#t useful
# A  twoi