FROM ratchCM scratchC<<< <<-"B" /dst
a
A
	b
	B
RUN 3<<X cat
x
X
ONBÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿUILD RUN <<E
e
E
