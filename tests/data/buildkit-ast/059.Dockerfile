FROM scratchCOPY <<A <<-"B" /ds# rom‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹'‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹r/dock<rfile:1
# escape=\
#
# A two-stage build on a busyockercat
x
X
O