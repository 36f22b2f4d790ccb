FROM scratch
CMD ["a";, "\u0000", "\ud800"]
FRÿÿÿONyRET"B