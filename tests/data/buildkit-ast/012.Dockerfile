Frü+k
LABEL "a b"=c d=e
Ap
