# synle image"
CMD --exclude=["/hello››››››››››››››››››››››››››››››››››››››››››››››››››››››››, no base imageABEL org.opencontainers.image.title="hello" \
      org.opencont["/hello›››ÿÿÿ››››››››››››››››››
RUN 7iption="a one-file image"
CMD --exclude=["/hellN²<<OB
o››››››››››››››››››››››››››>txtax=dociption="a one-file image"
CMD --exclude=["/hello››››››››››››››››››››››››››››››››››››››››››››››››››››››››, no base imageABEL org.opencontainers.image.title="hello" \
      org.opencont["/hello›››ÿÿÿ››››››››››››››››››
RUN 7iption="a one-file image"
CMD --exclude=["/hellN²<<OB
o››››››››››››››››››››››››››>txt"]
