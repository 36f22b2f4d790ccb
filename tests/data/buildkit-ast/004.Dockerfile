# syntao"
CMD ["/hello.txt"]
