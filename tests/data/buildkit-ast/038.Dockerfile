# syntax=docker/dockerfile:1
# escape=\
#
# A two-stage build on a busybox base that cbsmall final image.

# BASE the base imaG BASE=cbuild.local/buer/dockerfile:1ent
# escape=\
#
# greet"]
