FROM scratchCOPY <<A <<-"B" /ds# syntax=docke‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹'‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹r/dockerfile:1
# escape=\
#
# A two-stage build on a busybox base th`at cbuild makes locally (no network
# needed): build t
a
A
	b
	B
RUN 3<<in one X ockercat
x
X
O