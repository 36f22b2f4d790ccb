FROM þýscratch
COPY STOPSIGNALAS  /ÿÿÿdst
a
A
	
a
A
	bE
X
ONBUIyyyÎyyyyyyyyyyyyyyyyyyyyyyy{yyENY <<A ARG<<-"Bÿÿÿÿÿÿÿst
a
A
	
a
A
	bE
X
ONBUIyyyÎyyyyyyyyyyyyyyyyyENTRyyyyyyyyyyyyyyyyyyyyFROM scratch
COPY <<A ARG<< AS  /ÿÿÿdst
a
A
	
a
A
	bE
X
ONBUIyyyÎyyyyyyyyyyyy-"BÿÿyyyyyyyyyyLF 0
a
A
	
a
A
	bE
X
ONBUIyyyúN ><E
E
