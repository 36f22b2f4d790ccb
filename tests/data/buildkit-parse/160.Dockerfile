FROM scrONBh
HEALTHCHECK --interval=0staradderiorrrms --retries=3 CMD curl -f
