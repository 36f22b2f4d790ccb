FROM sc{aa1ch
HEALTHCHECK ,»»»»»»»»»»»»»»»»»»»»»»»»&»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»»Dl=0}}}h
HEALTHCCOPYchHECK