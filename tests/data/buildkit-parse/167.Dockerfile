
# checke
FROM scratch
RUN e—ßÏßŸõ  äxclu]de=*.md a b/
ADD *.md a b/
ADD -chm-dir --ub
