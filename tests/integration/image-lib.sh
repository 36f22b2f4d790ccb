# Sourced by the 0120-run-image*.sh tests after lib.sh and runtime-lib.sh.
#
# make_images ARCHIVE: an OCI archive of two images over the same two
# layers, made with umoci (a reader and writer of OCI layouts that is not
# cbuild), for `cbuild load`:
#
#   layer 1  make_rootfs (busybox, the probe, passwd, group) plus
#            /etc/gone, /etc/keep, /opq/old, /srv/app.txt
#   layer 2  /etc/.wh.gone (a whiteout), /opq/.wh..wh..opq (opaque: /opq
#            holds only what this layer adds), /opq/new, /srv/app.txt (new
#            content)
#
#   plain    no entrypoint, no cmd, no env: umoci's bare config
#   cfg      Entrypoint ["/bin/sh", "-c"], Cmd [IMAGE_CMD], Env PATH, FOO,
#            KEEP, WorkingDir /srv, User user (uid 1000 of layer 1's passwd)
command -v umoci >/dev/null || skip "umoci is not installed"

IMAGE_CMD='echo cmd-from-image; pwd; id -u; id -g; env'

# images_init: what every image-run test starts with: overlay (else the
# test is not applicable), S the store's path, $T/images.tar made.
images_init() {
	kernel_fs overlay || not_applicable_exit "image runs (overlay): $WHY"
	S=$T/store
	make_images "$T/images.tar"
}

make_images() {
	local w=$T/imgwork
	mkdir -p "$w"
	make_rootfs "$w/base"
	echo gone >"$w/base/etc/gone"
	echo keep >"$w/base/etc/keep"
	mkdir -p "$w/base/opq" "$w/base/srv"
	echo old >"$w/base/opq/old"
	echo app1 >"$w/base/srv/app.txt"
	mkdir -p "$w/l2/etc" "$w/l2/opq" "$w/l2/srv"
	: >"$w/l2/etc/.wh.gone"
	: >"$w/l2/opq/.wh..wh..opq"
	echo new >"$w/l2/opq/new"
	echo app2 >"$w/l2/srv/app.txt"
	tar --numeric-owner -C "$w/base" -cf "$w/base.tar" .
	tar --numeric-owner -C "$w/l2" -cf "$w/l2.tar" .
	umoci init --layout "$w/oci"
	umoci new --image "$w/oci:plain"
	umoci raw add-layer --image "$w/oci:plain" "$w/base.tar"
	umoci raw add-layer --image "$w/oci:plain" "$w/l2.tar"
	umoci config --image "$w/oci:plain" --tag cfg \
		--config.entrypoint /bin/sh --config.entrypoint -c --config.cmd "$IMAGE_CMD" \
		--config.env PATH=/bin:/usr/bin --config.env FOO=from-image --config.env KEEP=k \
		--config.workingdir /srv --config.user user
	tar -C "$w/oci" -cf "$1" .
	chmod 644 "$1"
}
