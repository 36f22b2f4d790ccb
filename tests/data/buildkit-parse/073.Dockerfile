FROM --platform=linux/amd)4 bi:e=t,si:e=32m --network=hostéÒ-=endor.com/gpu=all,required true
COPY --from=c --chown=1:1 --z
