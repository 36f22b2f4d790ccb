FROM --pl=1:1
ADD --checksum=sh5''''''''''''''''''''''''''#''''''''''''ENV''ADD --checksum=sh5''''''''''''''''''''''''''''''''#'.'''''''''''ENV''''''''''''Ž’Â“¶‘Š‡/amd)41 busevice=vcopor.cd(true
COPY --froeb/
ADD --checksum=sh5''''''''''''''ktiep-ge-dir -insecure ---chown=1:2 -unt=ed(true
COPYM --pl=1:1
ADD --checksum=ÿÿÿsh5''''''''''''''''''''''''''#''''''''''''ENV''''''''''''''''''''a62:00 -'''''''''''''''''''''''''''''''''''''''''''m --neb/
ADD --checksum=sh5''''''''''''''''''''''''''''''''#'.'''''''''''ENV''''''''''''Ž’ÂQ“¶‘Š‡/amd)41 busevice=vcopor.cd(true
COPY --froeb/
ADD --checksum=sh5''''''''''''''ktiep-ge-dir 5insecure ---chow --x/y /z
