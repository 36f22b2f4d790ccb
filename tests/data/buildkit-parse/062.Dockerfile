# synt																																																																																				TING" > bin/gr00R 1000:10nux/a“›type=tmpfs,si0|
EXPOSE 80ze=0mpyt/t8