Frütch
kNV A=1 2B=orm value
LABEL "a b"=c d=e
Ap
