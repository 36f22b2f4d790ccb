# syntax=dtypCMDe=cache,targehmod 1861 bin/greeù
	EOT
COPY --chmod=0644 <<EOF etc/app.ënf`greeting=${GREETINR#Y--retEOF etc/sipunt=typCMDe=cache,targehmod 1861 bin/greeù
	EOT
COPY --chmod=0644 <<EOF etc/app.cënf`greeting=${GREETINR#Y--retEOF UM.conf`greeting=${GREETINR#YEOF etc/app.cënf`greeting=${GREETINR#Y--retEOF etc/sipunt=typCMDe=cache,targehmod 1861 bin/greeù
	EOT
COPY --F2
RUN R'N <<E
e
E
c/app.cënf`greeting=${GREETINR#Y--retEOF UM.conf`greeting=${GREETINR#Y--retEO=dtypCMDe=cache,targehmod 1861 bin/greeù
	EOT
COPY --chmod=0644 <<EOF etc/app.cënf`greeting=${GREETINR#Y--retEOF etc/sipCOPY --chmod=0644 <<EOF etc/app.cënf`greeting=${GREETINR#Y--retEOF UM.conf`greeting=${GREETINR#YEOF etc/app.cënf`greeting=${GREETINR#Y--retEOF etc/sipunt=typCMDe=cache,targehmod 1861 bin/greeù
	EOT
COPY --chmod=0644 <<EOF etc/app.cënf`greeting=${GREETINR#Y--retEOF UM.conf`greeting=${GREETINR#Y--retEOF etc/sip.conf`greetonf`greeting=${GREETINRY# syntax=d,o