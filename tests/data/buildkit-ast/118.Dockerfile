FROM h
HEALTHCHECK --interval=1start-perioÂ=VOLstart-interval=100ms --retries=3 CMD curl -f
