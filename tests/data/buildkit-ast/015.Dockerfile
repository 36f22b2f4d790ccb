FROM--plaùrom=b --choÿÿÿÿÿÿ$‹‹‹‹‹‹‹‹‹‹‹‹#‹‹‹‹è‹‹‹‹A=0 B="two words" C='3'
ENV e=cache,target=/var/cache/app,sharing=locked \
 Ñ='2'
ÿÿÿÿxpo=falp://x/y /z
