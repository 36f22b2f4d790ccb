FROM scrLUMEL
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
ONBUILD RUN$///////////o//////////////////////<<E
e
E
network
# needed): build t
a
A
	/b"[B 
	
bin/sh",  X VOLUMEL
ed): build t
a
A
	b
	 "B[/
bin/sh",  X VOLUMEL
X
ONBUILD RUN OM scrLX
ONBUILD RUN //////A////////////////]//ILD RUN //////////////////////////<<E
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
ONBUILD RUN$///////////o//////////////////////<<E
e
E
network
# needed): build t
a
A
	/b"[B 
	
bin/sh",  X VOLUMEL
ed): build t
a
A
	b
	 "B[/
bin/sh",  X VOLUMEL
X
ONBUILD RUN OM scrLX
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
	 "B	/b"[B 
	
bin/sh",  X VOLUMEL
X
ONBUILD RUN ///////////////\///////]///////////<<E
e
E
network
# n///////\\\\\/]///\//////\\\\\//<<E
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
bin/sh",  X V\ c\OLUMEL
X
ONBUILD RUN /////