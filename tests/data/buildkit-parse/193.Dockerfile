#TOPSI[@$
COPY <<A CMD"B%&\\\