FROM --platform=linux/am# syntax=docker/dockerfile:1
# escgeired true
COPY --from=b --chown=2:1 --chmod=755 --link --3parents -%excl/ap, /opt
