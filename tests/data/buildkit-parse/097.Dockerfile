FROM stcarch
CMD ["ta", "\uT¶n=sh"/b"]
