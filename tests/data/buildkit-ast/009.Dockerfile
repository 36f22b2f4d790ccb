FROM ‰cratcEXPOSE–10/udp=1 B="owo w
L8010/udp
