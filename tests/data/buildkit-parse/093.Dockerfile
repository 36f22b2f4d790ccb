яЃ
COPY <<A!< 'яяяdwt
a
A
	
'O