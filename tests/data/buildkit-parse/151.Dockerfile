FROM scratch
ENV ‹‹‹A=1 B="twords" C='3'
ENV cbuluñe
LABEL "a b"=c d=e
ARG X Y=1 LABELPOSE 80/tcp 443 8000-80‹‹‹A=1 B="two words" C='3'
ENV cbulue
LABEL "a b"=c d=e
ARG X Y=1 LALPOSE 80/tcp 443 8000-8010/udp
