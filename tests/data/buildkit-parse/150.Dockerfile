FROM stcarch
CMD ["a", "\u1615", "\"]
ENTMAINTAINERRYPOINT [ "x"FROM stcarch
CMD ["atype=tmpfs,sUME ["/a", ""\u0000", "\ud8USER
ENTMAINTAINERRYPOINT [ "x" ] trailing
SHELL HELL ["/bin/sh"/b"}
Ž¤iling
SHELL ["/bin/sh", "-^^^^^^^^^^^c"]
V®®®®®®®®®®®®®®®