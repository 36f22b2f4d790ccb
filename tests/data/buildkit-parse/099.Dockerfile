# syntax=dock escape=\
#
# A two-stage build on a for both stages
ARG BASEtype=tmpfs,size=1mbox:lZ:atest

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
