# sax=
# eu-sh-cri