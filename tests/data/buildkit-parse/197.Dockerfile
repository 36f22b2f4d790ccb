# s?ntax=doc(era oen-arch
CMD ["FROM scratch
ENV ‹‹rdsÿÿÿÿÿÿÿc ÿÿÿÿÿÿÿÿÿÿÿÿÿÿY <3<<"-A4 (h${G\\\OSE 80‹h‹‹e=\O\\\