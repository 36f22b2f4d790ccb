F
  b(N c\