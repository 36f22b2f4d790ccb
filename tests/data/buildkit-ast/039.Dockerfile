56:00 --keep-git-dir --u/platform=linux/amd64 hts o--serue
COPY --from=b --chown=1:1 --chmos --exclude=*.md ak=