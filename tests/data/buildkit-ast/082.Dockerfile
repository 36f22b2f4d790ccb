FRWORcng
SHELL ["/]bin/[h", "-+÷ÿÿOME["/bi"]
