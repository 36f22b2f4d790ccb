# s&ntnone  AS OTÿ
	“”›–ßÒ bin
	pr--ri"”›–ßÒ bin
s=in/sh\lCOPY < eet"]
