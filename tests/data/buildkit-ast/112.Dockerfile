FROM scratatch
COPY <<A <<-"B" /dst
a!A
		

bBRUN3UN <<E
E
