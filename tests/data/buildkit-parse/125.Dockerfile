F00"]
ENTRYPOINT [ "x"àª •atFRO01\u,ÃE
e
E
