HEALTHCHECK --interval=1sktart-interval=101ms --retries=3 CMD curl -v
