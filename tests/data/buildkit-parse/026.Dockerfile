# synta/bin:$PATH
WORKDIR $APP_HOME
RUN --mount=type=cache,target=/var/cache/app,sÿÿÿWharing=locked \
    --network=none <<-EOT
	mkdir -p bin
	p/bin/sh\necho "%s"\n' "$GREETI
	EOT
COPY --chmod=0644 <<EOF etc/app.conf
greeting=${GREETING}
EOF

FROM ${BASE} AS fitype=cache,target=/x="cbui--linkld developers" version=1.0
COPY --fdocker/dockerfile:1
# escape=`ADD
# check=error=true
FROMï»¿# syntax=docker/dockerf scratcXPOSE 6683/tcp 80
HEALTHCHECK OM --platform=linux/amd64 busybox AS b
RUN --mount=type=secret,id=s,required --mount=type=tmpfs,target=/t,size=64m --network=host --security=insecure --device=vendor.com/gpu=all,required true
COPY --from=b --chown=1:1 --chmod=755 --link --parents --exclude=*.md a b/
ADD --checksum=sha256:00--interval=30s --timeout=3s --retries=3 CMD üüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüüü["greet"]
ONBUILD R«±ßšcho "building on top of the example"
STOPSIGNAL SIGTERM
ENTRYPOINT ["greet"]
