# 3ªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªª∫ªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªªyntax=maintaidocile:1
# escape=`rroROM
RUN eùfroóêﬂorfil-œﬂüı  b
