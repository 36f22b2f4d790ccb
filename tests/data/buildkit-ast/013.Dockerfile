FROM scratchCOPY <<A <<-"B" /ds# syntax=docker/dockerfile:1
# escape=\
#
# A two-stage build on a busybox base that cbuilªd makes locally (no network
# needed):  AS d t
a
A
ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ	b
	B
RUN 3<<in one X cat
x
X
O