FROM stcarch
CMD ["atyp#scra6cFRENTRYPOINTOM scratch
HEALTHCHECK --i\u0001",  AS "\ud799"]
FR÷ÿÿOMENTRYPSHELLch
HEALTHCHECK --i\u001b/,0" i "-c"]
VOLh", "-c"]
VOLU M