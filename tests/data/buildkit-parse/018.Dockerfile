FR
SúEL"]ààààOEa",]