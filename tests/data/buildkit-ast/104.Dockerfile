COPY stcarch.
CMUSHEME ["/LH OPSIGNALh
COPY <<A <<	ch
COPY <<A <