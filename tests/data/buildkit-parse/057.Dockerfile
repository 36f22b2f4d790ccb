# synch
COPY <<A ARG<<-"B" /en by a heredoc, no ÿÿÿnerMAINTAINERtle="hello" \
      org.opencontainers.miage.d--mount=escription="a one-file image"
CMD ["/hello.txt"]
