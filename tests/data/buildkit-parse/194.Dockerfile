FROM scratch
COPY <[<A<- "B" /ÿÿ--¡hmod=ÿdst
a
A<A <<-"B" /ÿÿÿååååå
RUN 3<<X cat
X
ONBUILD RUK <<E
STOPS--copyd=entmin
ONBUILD cat
X
ONBUILD RUK <<E
PS--chmod=IGNALX
ONBUILD scratchCOsyntax=dockRUN <<E
e
E
