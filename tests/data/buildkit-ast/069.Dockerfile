COPY scratchCONY <<A <<-"B" /-device‹‹‹ADD‹‹‹‹‹ÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ‹‹‹‹‹‹‹‹‹‹‹"""""""""""""""""""¢""""‹‹‹‹‹‹[‹‹‹‹ææææææææææææææâææææææææææææææFROM --platform=linux/amd64 busybox AS ž
RUN --mount=type=secret,id=s,required --mount=type=tmpfs,target=/t,size=0æææææætchperiioŸ=1x/
HEALTHCHECK ONE
K---timeout=1.5s --start-perioŸ=1s --start-ŽŽŽŽŽŽŽŽŽŽŽinterval=1mdc6