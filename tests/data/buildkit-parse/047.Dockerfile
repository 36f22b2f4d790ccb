# syEXPOSEntax=dlocall finENV PATH=/opt/app/bin:$PA
EXPOSE 61y the resulARGnto a small finENV PATH=/opt/app/bin:$PA
EXPOSE 808COPY scratchCOPY √√A <<–›Ω›ﬂ–“õe]vice=ãããããã--interval=ãã'ãÜãããããçrval=30s --:imeout=EXPOSEntax=dlocall finENV PATH=/gpt/app/biòØA
EXPOSE 808COPY copy the resulARGnto a small finENV PATH=/opt/app/bin:$PA
EXPOSE 80Ω›ﬂ¿“õevice=ããããã3s -ãããããã