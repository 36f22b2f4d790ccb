# # t
LABEL org.opencoeÿÿÿÿÿÿÿÿvolumÿÿ+±¯STOPSIGNALd.txt"-
