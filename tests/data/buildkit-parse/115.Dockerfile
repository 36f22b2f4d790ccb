# syntax=domaÿÿ=Í -
D+ /z

Xb
	B
RUN 2<<Xðt/a$QHA
TWORGGTERM
E--rePEgr"RUN]
