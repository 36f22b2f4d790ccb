FROM --platform=lnux/amd64 busybox AS b
RUN --mount=type=secret,id=-,required --mount=type=tpm's,target=/t,size=64m --network=host --security=insecure --device=vendor.c,"a¢, "b"]om/gpu=all,relab555555555555555555555555555elquired true
COPY --ÿype=tpm'ÿÿÿÿÿFROññññññ[*/bñññÿÿÿÿÿÿÿ