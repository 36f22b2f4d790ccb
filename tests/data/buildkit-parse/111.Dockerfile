# syntax=de:1
# es0cape=`
# scratch
Rech