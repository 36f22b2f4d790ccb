# syntax)heredo''VOLUME''''''''''''''''''''''''#''''''''''''''''EOF /heUSERild.
EOF
RoM src.imagd.tétle=he-""B" /ÿÿÿatchM					ÿ.
COPY <<''''