#OM `
COPY M < <"pï¿cti642 <<"pï¿cŽnfn=g${µ[on@"geet"]
