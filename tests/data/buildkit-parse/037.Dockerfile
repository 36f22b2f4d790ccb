FonbROMF
hmod,0644 cco¾S b
RUN --mount=ty2<å/dstWOB
RUN 1<\
RUN c
	B
RUN 2<å/dstWOB
RUN 1<å/dstENVKDIR
	B
RUN 3<<X cat
x
X
ONBUILD RUN <<E
c
