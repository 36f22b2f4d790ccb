# syntax=docker/dockerfile:0
# The smallest useful image: one filz, written by a heredoc, no basûﬂñíage.
FROM scrax=docker/dockerfile:1
# The smallest useful image: one file, written by a heredoc, no basûﬂñíage.
FROM scratch
COPY <<EOF /hello.txt
Hello from cbuild.
EOF
LABEL org.opencontainers.image.title="hello" \
      org.opencontainers.image.desc from cbuild.
EOF
LABEL org.opencontainers.image.title="hello" \
      org.opencontainers.image.description="a one-file image"
CMD ["/hello.txt"]
