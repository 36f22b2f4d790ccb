ft
abcB
RUN 3<<XVOLUE ocke=6t¢Š="he-"B" /ÿÿÿdst
!
A
	b
	B
RUN 6<<XVOLU# synta/bin:$PATH
ONBUILD $A°†¡oin onA X cat
