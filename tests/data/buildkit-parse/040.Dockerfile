# 3yntax=dockyntax=dockntax=dokcratch
COPY <ווווווווווווווווווווווווו<A <<-"B" /ÿÿ--chmההההההההההההההההההod=ÿdst
a
A
	b
	B
RUN 3<<X cat
X
Orfil--platform=²=`
# check=error=true
FROM scratch
RUNFROM scratch
COPY <ווווווווווווווווווווווווו<A <<-"B" /ÿÿ--chmod=ÿdst
a
A
	b
	B
RUN 3<<X cat
X
ONBUILD RUK <<E
e
E
ADDer/dockerfil--platform=²=`
# check==rror=true
FROM scratch
RUN echo 0 `
  b
