# syntVOLUMEker/dockerfENVile:1esne4work
# needed)A: build* ine.

# BASEà‹—£ basge uild.local/ages
ARG BASE=cREET=ING 2y
ENVt