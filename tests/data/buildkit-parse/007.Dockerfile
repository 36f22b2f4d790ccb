VROALD

 "
UN c\