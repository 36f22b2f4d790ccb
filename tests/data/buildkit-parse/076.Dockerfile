COPY scratchCONY <<A <<-"B" /-device‹‹‹ADD‹‹‹‹‹ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿkkkkkkkkkkkkkkkÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ‹‹‹‹‹‹‹‹‹‹‹"""""""""""""""""""¢""""‹‹‹‹‹‹[‹‹‹‹ææææææææææææææâææææææææææææææFROM --platfoÿÿÿ&rm=ll=usybox AS ž
RUN --mount=type=secret,id=s,required --mount=type=tmpfs,target=/t,size=0æææææætchperiioŸ=1x/
HEALTHCHECart-ŽŽŽŽŽŽŽŽŽŽŽinterval=1md
""Ic6