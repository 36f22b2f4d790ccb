# snt=escri`tion="a oô×en-arch
CMD ["a", "\\\ô\FROMýýýýýýýýýýý\\\\\\