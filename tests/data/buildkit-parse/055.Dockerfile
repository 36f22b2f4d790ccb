FRFh
ENVb"=c d=e
AROM sYXG X Y--
COPY <<A ARG<ch kp 433dp
