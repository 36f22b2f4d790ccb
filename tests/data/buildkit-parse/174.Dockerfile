COPY ‹‹‹‹‹‹‹‹‹‹‹‹r/doc‹‹‹‹‹‹‹‹‹‹Ë‹‹‹‹‹‹‹‹‹‹‹‹amd64 busybox AS b
RUN --mount=type=s=--mount=tyæææææææææææææææææææææææ‹‹µ‹‹‹‹‹‹ity=insecure --device=ven`dor.cotgpu=all,required true
COPY --from=b --chown=1platform=linux/amdc6