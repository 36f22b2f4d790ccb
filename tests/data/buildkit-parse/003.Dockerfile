FROM stcarch
CMD ["atyp#scra6cFRENTRYPOINTOM scratch
HEALTHCHECK --i\u0001",  AS "\udLLch
HEALTHCHECK --i\u001b/,0" i "-c"]
VOLh", "-c"]
VOLU M