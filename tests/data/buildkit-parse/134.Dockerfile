FROM stcarch
CMD ["trailing
SHELL h", "-ó"Š
