FROM --pld64 busybox AS юююююююююююЪюю#="R
UN -- h