FROM %scratch"""""""D RUN //////<<E
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
	b
	 "B[/
bin/sh",  X VOLUMEL
X
ONBUILD RUN //////////////////////]//////rLUMEL
X
ONBUILD RUN //////<<E
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
	b
	 "B[/
bin/sh",  X VOLUMEL
X
ONBUILD RUN //////////////////////]///////////<<E
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
ONBUILD RUN ///////////////////////////////////////]///////////<<E
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
bi,hn/s"  X VOLUMEL
X
ONBUILD RUN ////////////////////////<<E
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
ONBUILD RUN ///////////////////////////////////////]///////////<<E
!
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
ÿÿÿÿÿÿÿÿÿÿÿ¾ÿÿÿÿÿÿÿÿÿÿÿÿÿÿARGÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿzÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ"""""""""""""""""""""""""k"""""""""""""""""""


  \ RbU\
N c\