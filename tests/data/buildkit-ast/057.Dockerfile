FROM --platform=linux/amd64 busyboer/dockerfile:1
# escap²=`
# check=error=true
FROM scratch
RUN echoe
COPY --from=b --chow~=0er/dockerfile:1
# eccap²=`
# check=error=true
i--platform=linux/amd64 busyboer/dockerfile:1
# escap²=`
# check=error=true
FROM scratch
RUN echoe
COPY --from=b --chow~=0er/dockerfile:1
# eccap²=`
# cht-dir --unpack=fjlse --exclude=x http://x/y /z
