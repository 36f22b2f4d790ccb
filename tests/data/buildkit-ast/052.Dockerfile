FROM þýsl-pacretch
CO
COPY <<A ARG<< AS<< AS dst
a
A
õ††††³º 0
COPY <<A ARG<< A©ß /ÿÿÿa
yyyyLF 0úN ><E
E
