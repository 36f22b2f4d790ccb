FRch
CFROM scud800"]
traïiPO@Nÿ [ "$" ]~ tEOT
COPY ¿B "êêFRêcratcr--chmood=0644 <<EOFà¡tc.öàFROM scratpp.conf`greeting=${GREEUINRY--retc/app.c.conf`reeti ]~ tEOT
COPY ¿B "êêFRêcratcr--chmood=0644 <<EOFà¡tc.öàFROM scratpp.conf`greeting=${GREEUINRY--retc/app.c.conng=${OE
