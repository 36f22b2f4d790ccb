#!/bin/bash
# Issue 11, finding 8: an ambiguous manifest (CVE-2021-41190) is refused by
# `cbuild pull`.  A small registry on 127.0.0.1 (docker-registry itself
# refuses such uploads) serves: a manifest by mediaType that also has an
# index's `manifests`; an index by mediaType that also has `layers`; and,
# as a control, the plain manifest, which gets past the manifest to its
# (absent) config blob.  Nothing is stored for a refused reference.
. "$(dirname "$0")/lib.sh"
. "$CB_SOURCE_DIR/tests/integration/build-lib.sh"
command -v python3 >/dev/null || fail "python3 is not installed (tools/install-deps.sh)"

cat >"$T/reg.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
D = "sha256:" + "1" * 64
desc = lambda mt: {"mediaType": mt, "digest": D, "size": 2}
MAN = "application/vnd.oci.image.manifest.v1+json"
IDX = "application/vnd.oci.image.index.v1+json"
plain = {"schemaVersion": 2, "mediaType": MAN,
         "config": desc("application/vnd.oci.image.config.v1+json"),
         "layers": [desc("application/vnd.oci.image.layer.v1.tar")]}
sub = dict(desc(MAN), platform={"os": "linux", "architecture": sys.argv[2]})
docs = {"x/man": (MAN, dict(plain, manifests=[sub])),
        "x/idx": (IDX, {"schemaVersion": 2, "mediaType": IDX, "manifests": [sub],
                        "layers": plain["layers"]}),
        "x/plain": (MAN, plain)}
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        p = self.path.split("/")
        body, ct, code = b"{}", "application/json", 404
        if self.path == "/v2/":
            code = 200
        elif len(p) == 6 and p[4] == "manifests" and p[2] + "/" + p[3] in docs:
            ct, doc = docs[p[2] + "/" + p[3]]
            body, code = json.dumps(doc).encode(), 200
        self.send_response(code)
        self.send_header("Content-Type", ct)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_HEAD = do_GET
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
case $(uname -m) in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
start_helper "the test registry" "$T/port" python3 "$T/reg.py" "$T/port" "$ARCH"
REG=127.0.0.1:$(cat "$T/port")
export HOME=$T CBUILD_REGISTRY_RETRY_MS=20

expect_rc 1 cb pull "$REG/x/man:1"
contains "$T/err" "ambiguous: it has an index's \`manifests\`"
expect_rc 1 cb pull "$REG/x/idx:1"
contains "$T/err" "ambiguous: it has a manifest's \`layers\`"
for r in man idx; do
	expect_rc 1 cb inspect "$REG/x/$r:1"
done
# the control: the same manifest without `manifests` is accepted as a
# manifest, and the pull goes on to its config blob (404 here)
expect_rc 1 cb pull "$REG/x/plain:1"
! grep -q ambiguous "$T/err" || fail "the plain manifest was refused: $(cat "$T/err")"
contains "$T/err" "sha256:1111"
echo ok
