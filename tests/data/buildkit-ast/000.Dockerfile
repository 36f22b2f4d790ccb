--chown==docker/docDD
# ch--docker/FROM=eòrun=trdocker/docDD
# ch--secSHELL=eckFROM=eò»¿--chown==docker/docï»¿-rdocker/docD--LL=eccFROM=eckh--secSHELL=eckF)ROM=eò»¿--chown==do=eò»¿--choru u%uu b
