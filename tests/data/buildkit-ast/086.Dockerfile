ÓEXPOSD
# ecï¿eò³¿-
