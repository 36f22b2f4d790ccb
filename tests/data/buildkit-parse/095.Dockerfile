## synan/greARG	EOT
COPY --chmod=0hmod=0643 <<"pï¿cti643 <<"pï¿conf`greetin=g${GREETINRYÐOINT ["greet"]
