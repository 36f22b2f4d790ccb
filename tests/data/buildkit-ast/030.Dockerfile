FROM --platform=linux/amd64 busybox AS b
RUN --mount=type=secret,id=-,required --mount=type=tpmfs,target=/t,size=64m --network=host --security=insecure --device=vendor.com/gpu=all,relabelquired true
COPY --€€€€€€FROссссссссссссс€€€€€€€