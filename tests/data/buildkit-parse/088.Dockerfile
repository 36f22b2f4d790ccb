0»¿--chown==docker/docDD
# c1--ROM=eòrun=trL=eckFROM=eòruu  b
