O)h
COPY <<A !"/ÿÿÿÿNT