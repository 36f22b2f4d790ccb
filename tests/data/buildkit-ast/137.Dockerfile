FRa256:00 --keep-git-dir --u/platform=linux/amd64 host --security=insecure --device=vendor.com/gpu=all,required true
COPY --from=b --chown=1:1 --chmos --exclude=*.md a ents --exclude=*.md a FROMDD --checksum=sha256:00 --keep-git-dir --unpack=falp://x/y /z
