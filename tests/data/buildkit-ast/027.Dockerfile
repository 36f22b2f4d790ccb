FROM atch
ENV ‹‹‹‹‹‹‹ë‹‹‹-iter~alÿÿÿÿÿÿÿÿAÿÿÿÿÿÿH³³³³³³³³³
dp
