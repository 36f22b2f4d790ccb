# # t
HENVellosynta
LABEL org.opencoeÿÿÿÿÿÿÿÿ+±cbuild.txt"-
