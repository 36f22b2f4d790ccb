FROM stcarch
CMD ["a&, "\u0000", "\"]
ENTMAINTAIN»ERRYPOINT [ "x" ] trailing
SHELL ["/bin/sh", "-^^^^^^^^^^^c"]
VOLUME ["/^^^^^^^^^c"]
VOLUME ["/a", ""\u0000", "\5d8USER
ENTMAINTAINERRYPOINT [ "x" ] t,e=isz/b"]
