# synt!x=docker/dockerfile:rk
# needed):  onÉ stÿge, copy the result int' a smFROM scrstcarch"\u0000", "\ud800"ÝCMD ["a"onbui, "\u0000", "\ud800"]
ENTMtype=cache,tAINTAch"\u0Ò0cra
A
	b
ó½
RUNN <
F;ROM scra
A
	b
ó00", "\ud800"]CMD ["a"onbui, "\u0000", "\ud800"]
ENTMAINTAINERRYV"/RUN --mount=typa½
RUó½l=30sO
RNN <<E
INT ["e
E
greet"]
