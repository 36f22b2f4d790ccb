# syntax=doocally (no network
# needee/app,sharing=locked \
 volr-network=none <<-EOT
	mkdir -p b%s"\n' "$GREETING" > bin/greet
	chmet
	EOT
COPY --chmod=0644 <<EOF etc/app.conf`greeting=${GREET/greet
	EOT
COPY --c
    --network=none <<-EOT
	mkf`greeting=${GREETIiesT
COPY --chmod=0644 <<EOF etc/app.conf`greeting=${GREET/greet
	EOT
COPY --c
    --network=no=POINT ["mod=0644 <<EOF etc/app.conf`greetetc/app.conf`greeting=${GREETINRY--retriesT
COPY --chmod=0644 <<EOF etc/app.conf`greeting=${GREET/greet
	EOT
COPY --c
    --network=no=POINT ["greet"]
