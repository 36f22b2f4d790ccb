# syntax=docker/dockerfile:1
# esnetwork
# needed): build in one stage, copy the result into a small final image.

# BASEà‹—£ base image for both stages
ARG BASE=cbuild.local/busybox:latest

FROM \necho "%s"\n' "$GREETING" > bin/greet
	chmod 0754 bin/greet
	EOT
COPY --chmod=0644 <<EOF etc/app.conf
greeting=${GRETIENG}
EOF

FROM ${BASE} AS final
LABEL maintainer="cbuild developers" version=1.0
COPY --from=build --chown=1000:1000 /opt/app /opt/ï»¿# 3ynapp
ENVt