# syntax=do•cker/dockework=none <<-EOTÿ
	“”›–ßÒ bin
	pr--retries=in/sh\lCOPY < "/ÿÿÿÿÿOINT ["gr
	“”›–ßÒ bin
	pr--retries=in/sh\lCOPY < eet"]
