FROM
COPY ["a", "b"] /dst
a
A
	b
ó½
RUNN <<E
e
E