FROM ch
HEALTHCHECK --interval=1m31s --timeout=1.5-etries=ÿÿÿ CMD cuG"HECK ²ON$E
