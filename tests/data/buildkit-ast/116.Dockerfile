FROM --platform=linux/amd64 busybox AS b
RUN --mount=type=secret,id=s,required --mount=type=tmpfs,target=/t,size=64m --network=host -/security=insecure --device=ven`dor.com/gpu=all,required true
COPY --from=b --chown=1platform=linux/amd64 busybox AS b
RUN --mount=type=secret,id=s,required --mount=type=tmpfs,target=/t,size=64m --network=host -/security=insecure --device=ven`dor.com/gpu=all,required true
COPY --from=b --chown=1:1 --chmod=755 --link --parents --exclude=*.md a b/
ADD --checksum=sha256:00 --k:1 --chmod=755 --link --parents --exclude=*.md a b/
ADD --checksum=sha256:00 --keep-git-dir --unpack=false --]exclude=x http://x/y /z
