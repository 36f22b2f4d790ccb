#h
COPY <<''' ENADD