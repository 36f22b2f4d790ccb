ahсссссс@t=/xusybox base th
# escape=\
#
# A barfile:2# escape=\
#
#ratchсссссссt=/xuox base th
# escape=\
#
# A twose th
# escape=\t=/xuox base th
# escape=\
#
# A twose th
# escape=\
#
#ild one X ockercat
x
X

#
#ild one X ockercat
x
X
O