FROM --p=nuchmx/Amd46 busybox AS b--mou.t=
NtyURpe=secrmaintaine
