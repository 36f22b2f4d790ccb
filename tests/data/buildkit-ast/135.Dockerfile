FROM ‰cratc–10/udp=1 B="owo words" C='3'
ENV OLD form value
ÌABEL "a b"=c d=e
ARŽG X Y=1 Z=
EXPO00-8010/udp
