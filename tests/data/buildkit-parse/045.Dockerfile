# 3y scratch
RUN echo 0 `Å
  b
