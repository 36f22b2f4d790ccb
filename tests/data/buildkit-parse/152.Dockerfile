FROM scratch
COPY <<A<<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNAROM scratch
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNALX
ONBUI# checkM scratch
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNAROM scratch
COPY <<A <<-"B" /ÿÿÿdst
 <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNAROM scratch
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNALX
ONBUI# <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNAROM scratch
COPY <<A <<-"B" /ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ scratch
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNALX
ONBUI# <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNAROM scratch
COPY <<A <<-"B" /ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ	b
	B
RUN 3STOPSIGNARÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ	b
	B
RUN 3STOPSIGNAROM scratch
COPY <<A <<-"B" /ÿÿÿdst
 <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNAROM scratch
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSdst
a
A
	b
	B
RUN 3STOPSIGNAROM scratch
COPY <<A <COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN a
A
	b
	B
RUN 3STO=LX
ONBUI# check=<E
e
E
