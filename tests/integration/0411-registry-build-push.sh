#!/bin/bash
# cbuild build --push and -o type=registry|image against Debian's
# docker-registry on 127.0.0.1: `--push -t REG/app:1 -t REG/app:latest`
# pushes both tags (skopeo inspect has the digest the build printed,
# skopeo copy to an OCI dir gets files equal to the context's); -o
# type=registry,name=... pushes to its names (a quoted list of two) and
# not to the -t names; type=image,name=... only tags; --push without a
# name and unknown exporter keys are usage errors; a push that fails exits
# 1 with the image in the store.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
. "$CB_SOURCE_DIR/tests/integration/registry-lib.sh"

ctx "$T/c"
head -c 100000 /dev/urandom >"$T/c/data.bin"
printf 'hello from the context\n' >"$T/c/hello.txt"
cat >"$T/c/Dockerfile" <<'DF'
FROM busybox:test
COPY data.bin hello.txt /app/
RUN echo built >/app/built
CMD ["cat", "/app/hello.txt"]
DF

# --push: each -t name, after the build
build --push --iidfile "$T/iid" -t "$REG/app:1" -t "$REG/app:latest" "$T/c"
contains "$T/err" "push $REG/app:1: 1: digest: sha256:"
contains "$T/err" "push $REG/app:latest: latest: digest: sha256:"
D1=$(sed -n "s|^push $REG/app:1: 1: digest: \(sha256:[0-9a-f]*\) size: .*|\1|p" "$T/err")
[ -n "$D1" ] || fail "no digest line: $(cat "$T/err")"
for tag in 1 latest; do
	got=$(skopeo inspect --tls-verify=false "docker://$REG/app:$tag" | jq -r .Digest) ||
		fail "skopeo inspect $tag failed"
	eq "skopeo inspect $REG/app:$tag" "$got" "$D1"
done
# the image is in the store too, under its tags
eq "the store's image" "$(insp "$REG/app:1" .Id)" "$(cat "$T/iid")"

# skopeo copy to an OCI dir: the files are the context's
skopeo copy -q --src-tls-verify=false "docker://$REG/app:1" "oci:$T/oci:app" ||
	fail "skopeo copy from the registry failed"
m=$(jq -r '.manifests[0].digest' "$T/oci/index.json")
mkdir -p "$T/x"
for l in $(jq -r '.layers[].digest' "$T/oci/blobs/sha256/${m#sha256:}"); do
	tar -C "$T/x" -xzf "$T/oci/blobs/sha256/${l#sha256:}" || fail "layer $l is not a gzip tar"
done
cmp "$T/x/app/data.bin" "$T/c/data.bin" || fail "data.bin differs"
cmp "$T/x/app/hello.txt" "$T/c/hello.txt" || fail "hello.txt differs"
eq "built" "$(cat "$T/x/app/built")" built
cfgd=$(jq -r .config.digest "$T/oci/blobs/sha256/${m#sha256:}")
eq "Cmd" "$(jq -c .config.Cmd "$T/oci/blobs/sha256/${cfgd#sha256:}")" '["cat","/app/hello.txt"]'

# -o type=registry with a quoted list of names: those, not the -t name
build -t local:1 -o "type=registry,\"name=$REG/out:a,$REG/out:b\"" "$T/c"
for tag in a b; do
	got=$(skopeo inspect --tls-verify=false "docker://$REG/out:$tag" | jq -r .Digest) ||
		fail "skopeo inspect out:$tag failed"
	eq "out:$tag" "$got" "$D1"
done
! skopeo inspect --tls-verify=false "docker://$REG/local:1" >/dev/null 2>&1 ||
	fail "the -t name was pushed too"
# without name=: the -t names; type=image,push=true is the same
build -o type=registry -t "$REG/out:c" "$T/c"
skopeo inspect --tls-verify=false "docker://$REG/out:c" >/dev/null || fail "out:c not pushed"
build -o "type=image,name=$REG/out:d,push=true" "$T/c"
skopeo inspect --tls-verify=false "docker://$REG/out:d" >/dev/null || fail "out:d not pushed"
# type=image alone tags, pushes nothing
build -o "type=image,name=$REG/out:e" "$T/c"
cb inspect "$REG/out:e" >/dev/null || fail "type=image did not tag"
! skopeo inspect --tls-verify=false "docker://$REG/out:e" >/dev/null 2>&1 ||
	fail "type=image pushed"

# usage errors, before any build
build_fails 2 --push "$T/c"
contains "$T/err" "--push needs a name"
build_fails 2 -o type=registry "$T/c"
contains "$T/err" "needs name=REF or -t NAME"
build_fails 2 -o "type=registry,name=$REG/x:1,push-by-digest=true" "$T/c"
contains "$T/err" "\`push-by-digest\` is not supported"
build_fails 2 -o "type=registry,\"name=$REG/x:1" "$T/c"
contains "$T/err" "quote is not closed"

# a push that fails: exit 1, the image built and in the store
build_fails 1 --push -t 127.0.0.1:1/nowhere:1 "$T/c"
contains "$T/err" "push \`127.0.0.1:1/nowhere:1\`"
cb inspect 127.0.0.1:1/nowhere:1 >/dev/null || fail "the image is not in the store"
finish
