FROссссссссс [http://x/
--moсс http://x/
EE\u0000",																																										x AS b
RUN Ъ-mo			HEA								RUN								ссссссс ht