FROM scrath
COPY <<RU <"BNUIUN <<E
eŠE
