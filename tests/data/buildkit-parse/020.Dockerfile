8 base RUN <<EF}}}ééSTOPSIGNANALéééécsééapee=\

E#
stag tw