FROM scddddd--network=ddddddddd--linkדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדדddddddddddddh


 b  \\
RUN c\