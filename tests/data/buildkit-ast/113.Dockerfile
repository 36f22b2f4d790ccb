COPY ‹‹‹SHELL‹‹‹‹‹‹‹‹‹r/doc‹‹‹‹‹‹‹‹‹‹Ë‹‹ybox AS b
RUN --mount=type=secret,id=--platform=--mount=type=t‰mt,size=7ææææææicn=0platform=linux/amdc6