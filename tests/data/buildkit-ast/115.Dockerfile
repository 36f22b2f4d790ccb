#{.copyb
