FOpY <<A <<-""B /dst
a
A
	<<X cat
x
X
ONBUILDROM scraCOPY <<A <<-"B" /dst

A
	"B" /dst
a
A
	b
	B––––––––––––––––––––––––––––––––––––––
RUX
ONBUILD RUN <<E
e
E
