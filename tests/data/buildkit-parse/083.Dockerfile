ECMDOF
LABEL org.opencontainerADDe-fi‘e image"
CMD ["/hello.txt"]
