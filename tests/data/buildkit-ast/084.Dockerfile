FROM --platfOrm=linux/a“›ÉÃ busybotype=tmpfs,size=0mpytnt=secret,id=s,required --mount=type=tmpfs5target=/t,size=64m --network=host --secuinux/amd64x AS b
RUN --mount=type=secret,id=s,required --m˜unt=type=tmpfs,target=/t,siz--security=insecure --device=vse --]excONBUILDl --mount=typ›Â‹’™Œİtandor.cchown=1:1 --chmod=755 --lin# syntax=docker/dockk --parenterfile:1
s 