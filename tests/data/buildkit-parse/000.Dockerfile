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
RUN 3ST<<-"B" /ÿÿÿdst
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
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	BOPSIGNAROM scratch
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
ONBUI# checkM scratch
COPY <<A <<-"B" /ÿÿÿdst
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
