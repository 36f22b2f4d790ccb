#!/bin/bash
# inspect shows what `docker image inspect` (Docker 20.10) shows, from the
# store's parsed config (struct image_config), not the blob's raw JSON:
# Config in Docker's container.Config shape and field order, Comment (the
# config's own, else the last history entry's) and DockerVersion.  A build
# FROM such an image drops comment and docker_version, as BuildKit's image
# model has neither.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/store-lib.sh"
R=$T/store
init_store "$R"

# same_json FILE EXPECTED: FILE's JSON equals EXPECTED, key order included
same_json() {
	python3 - "$1" "$2" <<'PY' || fail "$1 differs from what docker inspect shows: $(cat "$1")"
import json, sys
got = json.dumps(json.load(open(sys.argv[1])))
want = json.dumps(json.loads(sys.argv[2]))
sys.exit(0 if got == want else 1)
PY
}

# A Docker-made config: top-level comment and docker_version.
SEED_CONFIG='{"comment": "made by hand", "docker_version": "20.10.24", "config": {"User": "u"}}' \
	seed_image "$R" docker.io/library/dockermade:1 2020-01-01T00:00:00Z "layer" >/dev/null
expect_rc 0 "$CBUILD" inspect --root "$R" dockermade:1
[ "$(json_get "$T/out" 'j[0]["Comment"], j[0]["DockerVersion"]')" = "('made by hand', '20.10.24')" ] ||
	fail "inspect Comment and DockerVersion: $(cat "$T/out")"
json_get "$T/out" 'json.dumps(j[0]["Config"])' >"$T/config.json"
# docker inspect of a config with only User, Env and Cmd (Docker 20.10)
same_json "$T/config.json" '{"Hostname": "", "Domainname": "", "User": "u", "AttachStdin": false,
	"AttachStdout": false, "AttachStderr": false, "Tty": false, "OpenStdin": false,
	"StdinOnce": false, "Env": ["PATH=/bin"], "Cmd": ["sh"], "Image": "", "Volumes": null,
	"WorkingDir": "", "Entrypoint": null, "OnBuild": null, "Labels": null}'

# Every field: this Dockerfile built by Docker 20.10's BuildKit, then
# `docker image inspect` (recorded here, as the reference cannot run in CI).
mkdir -p "$T/c"
echo hi >"$T/c/f"
cat >"$T/c/Dockerfile" <<'EOF'
FROM scratch
COPY f /f
ENV A=1
CMD ["x"]
LABEL l=v
EXPOSE 80
VOLUME /v
WORKDIR /w
STOPSIGNAL SIGTERM
HEALTHCHECK CMD true
ONBUILD RUN x
SHELL ["/bin/bash","-c"]
EOF
expect_rc 0 "$CBUILD" --root "$R" build -q -t every "$T/c"
expect_rc 0 "$CBUILD" inspect --root "$R" every
json_get "$T/out" 'json.dumps(j[0]["Config"])' >"$T/config.json"
same_json "$T/config.json" '{"Hostname":"","Domainname":"","User":"","AttachStdin":false,
	"AttachStdout":false,"AttachStderr":false,"ExposedPorts":{"80/tcp":{}},"Tty":false,
	"OpenStdin":false,"StdinOnce":false,
	"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=1"],
	"Cmd":["x"],"Healthcheck":{"Test":["CMD-SHELL","true"]},"ArgsEscaped":true,"Image":"",
	"Volumes":{"/v":{}},"WorkingDir":"/w","Entrypoint":null,"OnBuild":["RUN x"],
	"Labels":{"l":"v"},"StopSignal":"SIGTERM","Shell":["/bin/bash","-c"]}'
[ "$(json_get "$T/out" 'j[0]["Comment"], j[0]["DockerVersion"]')" = "('buildkit.dockerfile.v0', '')" ] ||
	fail "a built image's Comment and DockerVersion: $(cat "$T/out")"

# FROM the Docker-made image: the derived config has neither field.
printf 'FROM dockermade:1\nENV B=2\n' >"$T/c/Dockerfile"
expect_rc 0 "$CBUILD" --root "$R" build -q -t derived "$T/c"
expect_rc 0 "$CBUILD" inspect --root "$R" --format config derived
[ "$(json_get "$T/out" '"comment" in j, "docker_version" in j, j["config"]["User"]')" = "(False, False, 'u')" ] ||
	fail "the derived config keeps Docker's V1 fields: $(cat "$T/out")"
echo ok
