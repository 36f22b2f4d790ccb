FROM scratc·
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGXAROM scratch
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 7STOPSIGNALX
ONBUI# checkM scratch
COPY <<A <<-"B" /ÿ£££ÿÿdst
a
A
	b
	B
RUN 3STO--chmod=<<@A <<-"B" /ÿÿÿdst
 <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 4STOPSIG=AROM scratch
COPY <<A <<-"B" /ÿÿÿdst
a
A
	b
	B
RUN 3STOPSIGNAcratch
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
ONBUI# check=,E
e
E
