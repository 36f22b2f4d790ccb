FROM satcradch
COPY <<A <<-"BNBUILD RUNh
COPY <<A <-"LD(RUNh
COPY <<A <"BNBUILD RUN cratcratch
COPY <<<<-"BNBUILD RUN cratcratch
COPY <<A <<-"BNBUILD RUNh
COPY <<A <3-"BNBUIE
