F2Stch
COPY <<Ach'