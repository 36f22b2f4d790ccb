FROM host้า-=endo51<--z
