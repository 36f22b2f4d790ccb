fopy## synan/greARG	EOT
COPY --chmod=0hmod=0643 <<"tï¿ctihmodR0643 <<"tï¿cti643 <<"pï¿conf`greetin=g$3333333333333333333ÿ333333<ÿgreARG	EO
COPY --ch
