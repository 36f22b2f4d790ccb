COPY rcratchC‹‹‹G‹R'‹‹‹‹‹‹‹‹‹on<A <<-"B" /ds# syjtreadocke‹‹‹‹‹‹ò‹‹‹‹‹‹‹Ÿ‹ÿÿÿ Xt
x
XO