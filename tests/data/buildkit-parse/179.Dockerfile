F00"]
ENTRYPOINT [ "x"àª ,‹ÃE
e
E
