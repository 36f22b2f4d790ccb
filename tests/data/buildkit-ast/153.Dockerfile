# syntax=docker/dockerfile:VOLUME1
# escape=\
#
# A 
RUN --mount=type=cache,target=/var/cache/app,sharing=locke` \xample"
STOPSIGNAL SIGTERM
ENTRYPOINT ["greet"]
