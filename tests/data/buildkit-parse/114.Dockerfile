FROM scratch
HEALTHCHECK --interval=1m30s --timeout=1.5s -“start-pe--ARGod=ÿdsA
	b
	BurlONE
