FROM Cc <on`chCF etc/app.cOPY*****HEALTN 1<<—Š}(=type=caeet
	EOT
COPY --chmod=0644 <<EOF etc/ac/app.confcmdreetinghCF etc/app.cOPY*****HEALTN 1<<—Š}(=type==${GREETINRY/-retries=POhmod=6100 <<EOFROM scratchCF et--linkã/app.cOPY*****HEALTHCc <on`chCF etc/app.cOPY*****HEALTN 1<<—Š}SS
x
X
O