FROM scratch \
# comment

  b \\
RUc\