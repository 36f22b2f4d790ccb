FROM--plaùr=b --choÿÿÿÿÿÿ$‹‹‹‹‹‹‹‹‹‹‹‹#‹‹‹‹(‹‹‹‹A=0 B="two words" C='3'
ENV /var/caÿ$‹aÿ$‹‹‹‹'