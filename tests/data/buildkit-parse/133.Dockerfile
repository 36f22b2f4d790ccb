Fratch
COPY <<'''''''''''' <RUN 0<
x
X
ONBLD RUN= <<Eþ
ªÁE
