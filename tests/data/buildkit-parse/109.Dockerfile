# syntaile:1
# escape=\
#
# d on a bu both stages
ARG BASE=cbuild.local/buer/dockerfile:1ent
# escape=\
#
# greet"]
