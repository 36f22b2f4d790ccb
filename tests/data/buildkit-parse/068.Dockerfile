FROM scratch
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOLX
ONBUI# check=<E
e
E
