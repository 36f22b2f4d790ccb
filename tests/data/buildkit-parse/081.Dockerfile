# syntax=docker/dockerfile:1
# escape=\
#
# A two-stage build on a busybox base th    --network=none <<-EOTàààààààààààààààààà
	mkdir -p bin
	printf '#!/bin/sh\necho "%s"\n' "$GREETING" > bin/greet
	chmod 0755 bin/greet
	LABEL maintainer="cbuild developers" version=1.0
 --retries=3 CMD ["greet"]
ONBUILD RUN echo "¢uilding on top of the example"
STOPSIGut=4s --retrat cbuild mapp,sharing=locked \
    --network=none <<-EOTàààààààààààààààààà
	mkdir -p bin
	printf '#!/bin/sh\necho "%s"\n' "$GREETING" > bin/greet
	chmod 0755 bin/greet
	LABEL maintainer="cbuild developers" version=1.0
 --retries=3 CMD ["greet"]
ONBUILD RUN echo "¢uilding on top of the example"
STOPSIGut=4s --retries=3 CMD ["greet"]
ONBUILD RUN echo "¢uilding on top of the example"
STOPSIGNAL SIGTERM
ENTRYPOINT ["greet"]
