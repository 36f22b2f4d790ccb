# syntax=docker/dockerfile:1
# escape=\
#
# A two-stage build on a busybox base that cbuild makes locally (no network
# needed: tools/make-base-images.sh): build in one stage, copy the result
# into a small final image.
#
#   cbuild -t greet -f examples/Dockerfiles/multistage.Dockerfile examples/Dockerfiles
#   cbuild run --rm greet

# BASE the base image for both stages
ARG BASE=cbuild.local/busybox:latest

FROM ${BASE} AS build
ARG GREETING="hello, world"
ENV APP_HOME=/opt/app \
    PATH=/opt/app/bin:$PATH
WORKDIR $APP_HOME
RUN --network=none <<-EOT
	mkdir -p bin
	printf '#!/bin/sh\necho "%s"\n' "$GREETING" > bin/greet
	chmod 0755 bin/greet
	EOT
COPY --chmod=0644 <<EOF etc/app.conf
greeting=${GREETING}
EOF

FROM ${BASE} AS final
LABEL maintainer="cbuild developers" version=1.0
COPY --from=build --chown=1000:1000 /opt/app /opt/app
ENV PATH=/opt/app/bin:$PATH
USER 1000:1000
EXPOSE 8080/tcp 80
CMD ["greet"]
