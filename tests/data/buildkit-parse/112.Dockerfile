# 3ªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªyntax=docker/dockerfile:1
# escape=`
# check=error=true
FROM scratch
RUN eùóêﬂœﬂüı  b
