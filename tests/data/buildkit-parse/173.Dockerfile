∫“çng
SHELL ["/bin- ,\\""cpe c\"/b"]
