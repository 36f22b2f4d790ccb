'Rh
ENV \‹‹‹‹‹‹‹'R‹‹ABp
