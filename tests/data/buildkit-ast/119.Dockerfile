FROM FROM scratch
HEALTHCHECK --interval=1m3scratch
COPY <<A ÅÃÏŒßÒÒ‹imeout=1.5s -=100ms --retries=3 CMD curl --"B" /f http://x/
HE--mount=ALTHCHECy NONEÿÿÿ
dst
a
A
	b
	B
RUN 3<<X cat
x
X
O²½ª¶³»ß°UN <<E
e
E
