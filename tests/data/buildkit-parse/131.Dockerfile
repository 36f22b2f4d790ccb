F;ROM 
A
	b
ó½
,UNN <
F;ROM 
A
	b
ó½
RUNN <
F;OVFROM þýscratch
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
ONBUIyyyÎyyyyyyyyyyyyyyyyyENtch
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
ONBUIyyyÎyyyyyyyyyyyyyyyyyENTRyyyyyyy‡††††††yyyyyFROM scratch
COPY <<A ARG<< AS  /ÿÿÿdst
a
A
	
a
A
	scratch
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
ONBUIyyyÎyyyyyyyyyyyyyyyyyENtch
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
ONBUIyyyÎyyyyyyyyyyyyyyyyyENTRyyyyyyy‡††††††yyyyyFROM scratch
COPY <<A ARG<< AS  /ÿÿÿdst
a
A
	
a
A
	bE
X
ONBUIyyyÎyyyyyyyyyyyy-"BÿÿyyyyyM sc	b
ó½
RU	b 
A
	b
ó½
RUNN <
F;ORM scra
A
	b
ó½
*U‰b
RCMDNN 
<
RU	b 
A
yyyyyLF 0
a
A
	
a
A
	bE
X
ONBUIyyyúN ><ETRyyyyyyyyyyyyyyyyyyyyFROM scratch
COPY <	b
ó½
RUNN <
F;ORM scra
A
	b
ó½
*U‰b<A ARG<< AS  /ÿÿÿdst
a
A
	
a
A
	bE
X
ONBUIyyyÎyyyyyyy
RCMDNN 
<e<
E
F;ORM scra
A
e<
Eyyyyy-"Bÿÿyyyyy
F;ORM scyyy