FROM scrLUMEL
X
ONBUILD RUN ///////////////////////////////<<E
e
E
network
# needed): t
a
A
	b
	 "B[/
bin/sh",  X cat
x
X
atchVOLUMEL
X
ONBUILD RUN //////////////////////////////////<<E
e
E
network
# needed): build t
a
A
	b
	 --linkiat
x
X
O