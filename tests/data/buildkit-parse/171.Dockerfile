FROM scratch
ENV ‹‹‹‹‹‹‹‹‹Š‹‹ï wos" C='3'
ENV OLD .a b"=T d=e
ARG X Y&up 145 800# chec