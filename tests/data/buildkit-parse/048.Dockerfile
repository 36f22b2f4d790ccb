# syntax=docker/dockerfile:1
# H
USER 1000:1000
EXPOSE 8080/tcp 80
pel"
STOPSIGNAL SIGTERM
ENTRYPOINT ["greet"]
