FROb \\
RUN c\