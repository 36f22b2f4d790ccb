# org.opencontainers.imageexcludele image"
CMD --exclude=["/hello>txt"]
