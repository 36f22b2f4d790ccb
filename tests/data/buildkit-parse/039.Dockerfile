FROM --pleirdd(true
COPY -=sh5a62:00ir --unpgit- --unpac,req<<---interval=mtarg--interval=96m ÿÿÿ--neÑwork=host --se$$$$$$$$$$$$$$$$$$$ ¾Nuri