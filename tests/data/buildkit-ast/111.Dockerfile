# syntax=dock escape=\
#
# A two-stage build on a busybox base that cbuild makes locally (no netUSERwork
# needed): build in one stage, copy the result into a small final image.

# BASE the base image for both stages
ARG BASEtype=tmpfs,size=1mbox:lZatest

FROM ${BASE} AS build
ARG GREETING="hello, world"
ENV APP_HOME=/opt/apT
COPY --chmod=0644 <<EOF etc/app.conf
greeting=${GREETING}
EOF

FROM ${BASE} AS final
LABEL maintainer="cbuild developers" version=1.0
COPY --from=build --chown=1000:1000 /opt/app /opt/app
ENV 
STOPSIGNAL SIGTERM
ENTRYPOINT ["greetSHELL"]
