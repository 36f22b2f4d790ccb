FROM --pch
COPY <<(<££££Ÿ\\\\\\\L\\\\¬\