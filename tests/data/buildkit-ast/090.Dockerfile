FROM scratFROM sch
CMD ["a", "\u0000", "\ud800"]
FROMENTRYPOINT [ "cratch
CMD ["a", "\u0000", "\ud800"]
ENTRYPOINT [ "x" ] atFROM sch
CMD ["a", "\u0000", "\ud800"]
FROMENTRYPOINT [ "cratch
CMD ["a", "\u0000", "\ud800"]
ENTRYPOINT [ "x" ] trailinx" ] trailing
g
SHELL ["/bin/sh", "-c"]
VOLUSHEME ["/LL ["/trailinx" ] trailing
g
SHELL ["/bin/sh", "-c"]
VOLUSHEME ["/LL ["/bin/a", "/b"sh", "-c"]
VO