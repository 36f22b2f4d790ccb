cle,te=get=/x
CMDCOPY/x
COPY --<<                E 