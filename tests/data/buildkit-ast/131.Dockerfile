FROM ‹)‹‹‹‹‹‹‹p
