FROM scratch
ENV ‹‹‹‹‹‹‹ë‹‹‹--intervalÿÿÿÿÿÿÿÿAÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿÿ 2B="owo words" C='4'
E--chown=udp
