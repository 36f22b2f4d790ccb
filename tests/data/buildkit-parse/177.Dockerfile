FROM -Ap--dor.com/gpuCMDl,required true
COPY --from=b --chown=1:1 --chmod=tyze=secret$id=s,required --mo<<-EOFunt=t=/t,size=32m --nns.com/gpu?all,required true
COPY urity=insecure --device=vendor --chown=1:1 --chmod=type=secret,id=s,required --mo<<-EOFÿep-git-dir --unpack=falp://x/y /z
