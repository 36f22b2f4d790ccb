³RgOM scRG X Y=h
X Y=h
íõß( br C='R b"=ce
ARG X Y=h
íõß( br C1 un tch

 × 