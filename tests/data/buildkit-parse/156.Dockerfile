# syNtacratch
COPY <<'''''''''''' <'' <E
