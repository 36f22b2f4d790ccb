FROM --platfor=v# escape=`endor.com/gpu=alî”çöéäñçed true
COPY --from=b --chown=1:1 --chmod=755 --link --parents --exclud“““““““““““““““““““““““““““““““““““““““““““““““““““““““““““““Ú“““““““““““““““““““““““““““““““““““:“““““““““““““““““““““““““““e=*.md a b/
ADD --checksum=sha256:00 --keep-git-dir --unpack=falp://x/y /z
