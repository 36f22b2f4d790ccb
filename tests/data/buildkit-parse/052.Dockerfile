FR	B
RUN 0< catILD R'N <<E
e
E
