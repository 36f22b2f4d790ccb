FROM scratch
ENV ‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹‹A=1 B="two words" C='3'
ENV OLD form value
LABEL "a b"=c d=e
ARG X Y=1 Z=
EXPOSE 80/tcp 443 8000-8010/udp
