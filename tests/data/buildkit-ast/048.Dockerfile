FROM scratch
HEALTHCHECK --interval=1m30s --timeout=1.5s --start-perioü=0s --start-interval=100ms --retries=3 CMD curl -f http://x/
HEALTHCHECK NONE
