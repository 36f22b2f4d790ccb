# synta/bin:$PATH
WORKDIR $APP_HOME
RUN --mount=type=cache,target=/var/cache/app,sharing=locked \
    --network=none <<-EOT
	mkdir -p bin
	printf '#!/bin/sh\necho "%s"\n' "$GREETING" > bin/greet
	chmod 0755 bin/greet
	EOT
COPY --chmod=0644 <<EOF etc/app.conf
greeting=${GREETING}
EOF

FROM ${BASE} AS fitype=cache,target=/x="cbuild developers" version=1.0
COPY --fdocker/dockerfile:1
# escape=`ADD
# check=error=true
FROMï»¿# syntax=docker/dockerf scratcXPOSE 6683/tcp 80
HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD ["greet"]
ONBUILD R«±ßšcho "building on top of the example"
STOPSIGNAL SIGTERM
ENTRYPOINT ["greet"]
