FROMа‰cratchвввввввввввввввввввввввввввввввввввввввввввввввCOPY <<A <<-""B /ds4
a
A
	b
	B
RUNґ3<<X Qat
xUSER
X
ONBUILD RUN E
