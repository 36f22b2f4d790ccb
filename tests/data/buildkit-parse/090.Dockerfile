Ftch
CO
COPY <<<-EOF<< AS<< AS dst
a
A
õ††††³º 0
COPY <<A ARG<< A©ß /ßÏ±ßÁ<E
E
