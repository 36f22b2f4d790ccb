FROM scratch
COPY <A <<-"B" /€€--chmod=€dst
a
A<A <<-"B" /€€€ееееееееееееееееееееееее<A <<-"B" /€€--chmod=€dst
a
A
	b
	B
RUN 3<<X cat
X
ONBUILD RUK <<E
edst
a
A
	b
	B
RUN 3STOPSIGNALX
ONBUILD scratchCOPY <<A <<-"B" /ds# syntax=dockRUN <<E
e
E
