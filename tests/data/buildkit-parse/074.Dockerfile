[xpos th
RUN <<F\\\X\\ b
ÿÿ