FROM --platform=linux/amd32 busybox AS b
RUN --mount=type=secret,id=s,required --mount=type=tmpfs,target=/t,size=64m --network=host --security=insecure --device=
RUN --mevice=vendor.com/ppu=akeep-git-dir # check=--unpack=falp://x/y /z
