ï»h
HEALTHCHECK --intm

