FR/OM scrLUMEL
X
ONBUILD RUN //////////////////////////<<E
e
E
network
# needed): build t
a
A
	b
	 "B[/
bin/sh",  X VOLUMEL
X
ONBUILD RUN OM scrLUMEL
X
ONBUILD RUN ///////////o//////////////////////<<E
e
E
network
# needed): build t
a
A
	/b"[B 
	
bin/sh",  X VOLUMEL
X
ONBUILD RUN //////A////////////////]///////////<<E
e
E
network
# needed): build t
a
A
	b
	 "B[/
A
	b
	 "B[/
bin/sh",  X VOLUMEL
X
--chown=RUN ///////////////////////////////N ///////////o//<<E
e
E
network
STOPSIGNAL# needed): build t
a
A
	b
	 "B[/
bin/sh",  X VOLUMEL
X
ONBUILD RUN OM scrLUMEL
X
ONBUILD RUN ///////////o//////////////////////<<E
e
E
network
# needed): build t
a
A
	/b"[B 
	
bin/sh",  X VOLUMEL
X
ONBUILD RUN //////////////////////]///////////<<E
e
E
network
# n////////]///////////<<E
e
E
network
# needed): build AS 
A
	b
	 "B[/
A
	b
	 "B[/
bin/sh",  X VOLUMEL
X
ONBUILD RUN ///////////////////  X cat
x
X
O