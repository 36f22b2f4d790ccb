FROM scratch
CMD ["a", FROM stcarch"\u0000", entr"\ud800"]CMD ["a"oi, "\u0000", "\ud800"]
ENTMAnbui, "\u0000", "\ud80×"]
ENTMAINTAINERRYPOINT [ "x" ] trai
ï ny¿t»s#ax=docker/MïECMD ["a", "\~0000", "\ud80E/@bin/sh", "-c"]
VÉLUME ["/aLUME ["/a", "/b", ""]/
b"]
