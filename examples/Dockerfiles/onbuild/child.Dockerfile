# Built FROM the ONBUILD base: its COPY and RUN triggers run first.
FROM onbuild-base
LABEL role=child
