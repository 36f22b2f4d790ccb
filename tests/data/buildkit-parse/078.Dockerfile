ïEXPOSEow~==dgcker/docDD
# ch-L=ecï¿½eromeò³¿-
