# syntamLUMEfor 0oth sta--mount=ges
ARG BASE=SE ôheb ase i# ase i#age for both stages# escape=`
ARG BASE=cbuild.local/busybox:<<<<<laROM ${BCSE} AS build
ARG GREtN ecVOLu# syntamLUMEfor 0oth sta--mount=ges
ARG BASE=SE ôheb ase i#age for both stages
ARG BASE=cbuild.local/busybox:<<<<<laROM ${BCSE} Aage for both stages
ARG BASE=cbuild.local/busybox:<<<<<laROM ${BCSE} AS build
ARG GREtN ecVOLuMGREtN ecVOLuMEE the base T O["h sta--mount=ges
ARG B\
ASE=SE ôheb ase i#age for both stages# escape=`
ARG BASE=cbuild.local/busybox:<<<<<laROM ${BCSE} AS build
ARG GREtN ecVOLu# syntamLUMEfor 0oth sta--mount=ges
ARG BASE=SE ôheb ase i#age for both stages
ARG BASE=cbuild.local/busybox:<<<<<laROM ${BCSE} AS build
ARG G¸º‹±ßšœ©OLuMGREtN ecVOLuMEE the base T O["h sta--mount=ges
ARG BASE=SE ôheb ase i#age for both stages
ARG BASE=cbuild.local/busybox:<<<<<laROM ${BCSE} AS build
ARG GREtN ecVOLuMGREgreet"MGREgreet"]
