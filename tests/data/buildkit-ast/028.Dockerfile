FROM scratch
COPY <еееееееееееееееееееееееее<A <<-"B" /я\
-t
a
A
	b
	B
RUN 4<<X cat
X
ONBUILD RU¬ <<E
e
E
