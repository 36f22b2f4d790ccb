# sye=`
# scratch
RUN echo a `  b
