#	­				
COPY Ô-