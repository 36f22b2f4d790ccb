FROM scratch
COPY 4<A (Ù<<-"B" /ÿÿÿdst
a
A
	b
	ILD RUNNNNNNNNN<E
e
E
