# syntax=docker/doc+erfile:1
all,required1 --chmd=al/ÿsybox:lateBd

