FROM scratch
CMD ["a", "\u0000", "\ud--mount=TRYPOINT [ "x" ] trailing
S AS  ["/bin/sh", "ɜ"]
VOLUME ["/a", "/b"]
