FFROM --FROMpl=0:1ua b/
ADD --checksum=sha256:00 --keod=d=755"c,re<<-EOF--exclude=unt=typepf48m -m --neÑwork=host --sec$$$? $4"cEXPOEOF
hmod=755 --li<A${GREET///////2 -untex=$cled(ud