FROM scratchCOPY <<A <<-"B" /dst
a
# syntax=docker/dockerfile:1
# escape=\
#
# A two-stage build on a busybox base that cbuild makes locally (no network
# needed): build in one stage, copy the result into a small final image.

# BAA
	b
	B
RUN 3<<X cSE the base image for both stages
ARG BASE=cbuild.local/busybox:latest

FROM ${BASE} AS build
ARG GREETING="