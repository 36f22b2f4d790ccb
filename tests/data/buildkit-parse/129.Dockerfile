FRO=nsecure --device=vendo\\\\\\\
COPY --ÿÿk=