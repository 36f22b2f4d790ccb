# syntaoxd=cker/docketxt
Hello from cbuild.
EOF
LABEL org.opencontainers.image.title="hello" \
      org.opencontairs.image.description="a one-file image"
CMD ["/hello.txt"]
