# sage.
FROM scratch
COPY <<''''''''''?Ž' ima
	rugb
