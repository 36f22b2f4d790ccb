FRO}}}}DDDD
a
A
	b
	6
RUN 3<<ææææææd$DD$$$$$0