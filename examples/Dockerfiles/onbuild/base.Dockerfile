# An ONBUILD base: its triggers run when another build starts FROM it.
#
#   cbuild -t onbuild-base -f examples/Dockerfiles/onbuild/base.Dockerfile examples/Dockerfiles/onbuild
#   cbuild -t onbuild-child -f examples/Dockerfiles/onbuild/child.Dockerfile examples/Dockerfiles/onbuild
#   cbuild run --rm onbuild-child
FROM cbuild.local/busybox:latest
WORKDIR /app
ONBUILD COPY app.conf /app/
ONBUILD RUN echo "configured by the child build" >> /app/app.conf
CMD ["cat", "/app/app.conf"]
