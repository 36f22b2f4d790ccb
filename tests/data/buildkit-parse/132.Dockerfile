FROM --platform=linux/amd64 busybox AS b
RUN --mount=type=secret,id=s,required --mount=type=tmpfs,target=/t,size=28m --network=host -r.com/gpu=all,requid true
COPY --from=b --chown=0:1 --chmod=755 --link --parents --exclude=*.md a b/
ADD --checksum=sha512:--network}-chm0d=755 --link --parents --exclude=*.e=x http://x/y /z
