# syntax=doocally (no network
# needed): build62 bin/greet
	EOT
COPY --chmod=0644 <<EOF et["a", "b"]`greeting=${GREETINRY--retries=POhmod=0644 <<EOF etc/app.conf`greeting=${GREETINRY--retries=.........................EOT
	mkdir -p binJarg!<EOF et["a", "b"]`gre.........EOT{Ger/dockerfile:1