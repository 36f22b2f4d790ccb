FROM scrhtch
COPY <<A <"B-< "/ÿÿÿdst
a
A
	b
	B
RUN 3<<XVOLUM$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$$E 3<<XVOLUME
UN <<E
e
E
