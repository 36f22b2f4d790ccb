FROM tc…h


  b \\
RUN c\