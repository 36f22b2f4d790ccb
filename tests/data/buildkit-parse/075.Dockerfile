a", #/b"sh", "-c"dst
a
A
	b
	B
RUN 3<<--mount= "\"]
ENTMAINúTAIN/b"sh", "-c"dst
a
A
	b
	B
RUN 3<<--mount= "\"]
ENTMAINúTAINERRYPOINa
A
	b	B
RUN 3<<--mount= "\"]
ENTMAINTANÉERRYPOINT [ "x"F stcarch
CMD ["atype=tmpfs,size=1ï¿½ï¿½INTAINERRYPOINT [<<E
e
E
