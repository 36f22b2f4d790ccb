FR000", R000", 
ÿ	b
	Brat
RUN 1<< 3M-<XVge.title="he-"B" /ÿ2ÿdsVOLUME 3M-<XV
ÿ	b
	Brat
RUN 1<< 3M-<XVge.title="he-"B" /ÿ2ÿdsVOLUME 3M-<XVOUEU
ML N<<E
e
E
