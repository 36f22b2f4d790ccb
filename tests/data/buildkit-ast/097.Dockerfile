FROMmod=>55 --link --2parents --exclude=*.md a b/
ADD --checksum=sha256:0.COPY5 ---chmod=t-dir --unpac`k=falp://x/y /z
