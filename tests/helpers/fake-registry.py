#!/usr/bin/env python3
"""A scripted fake registry on loopback for tests/integration/0401-*.sh and 0403-*.sh.

Two listeners on free ports (written to PORTFILE as "REGPORT STOREPORT";
PORTFILE.json holds each repository's config and layer digests):
the registry, which wants a Bearer token from its /token realm (that
wants Basic u:p) and redirects blob GETs to the storage listener, another
origin, which logs whether a request carried Authorization.  Repositories:
  x/ok         an image (config + one layer), also under an index (tag multi)
  x/long       a layer whose body is longer than its descriptor's size
  x/baddigest  a layer whose bytes do not match its digest
Scripted faults (0403; "first" = the first request for that path):
  x/flaky      manifest `1` first 500; config first 429 Retry-After: 1;
               layer first an empty reply (connection closed); blobs
               redirected with 302
  x/down       manifest always 503
  x/cut        manifest `1` first cut short; the 256 KiB layer first cut
               after half, then served with Range (206)
  x/cut200     the layer first cut, then always 200 whole (Range ignored)
  x/badrange   the layer first cut, then a 206 that starts at byte 1
  x/huge       manifest `1` of 5 MiB (Content-Length), `chunked` (chunked)
  x/scope      blobs want a token for "repository:x/base:pull
               repository:x/scope:pull": 401 error="insufficient_scope"
               (the foreign scope first, an order docker-registry's Go map
               gives one challenge in eight)
  x/par        6 layers served slowly, the first slowest
  x/failfast   layer 0 is 404 at once, the other 4 take 5 s each
  x/dup        one layer twice
Tokens name their scopes; a repository wants repository:<repo>:pull.
Every request is logged to LOG: "origin METHOD path auth=<scheme|->
range=<Range|-> inflight=<n>" (inflight: storage requests being served).
"""
import base64, gzip, hashlib, io, json, random, socket, sys, tarfile, threading, time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, LOG, ARCH = sys.argv[1], sys.argv[2], sys.argv[3]
BASIC = base64.b64encode(b"u:p").decode()
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer_bytes(text, data=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = data if data is not None else text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0), sha(raw)


blobs = {}
repos = {}


def image(repo, text, size_delta=0, corrupt=False, layers=None):
    layers = layers or [layer_bytes(text)]
    config = json.dumps({"architecture": ARCH, "os": "linux",
                         "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers",
                                    "diff_ids": [d for _, d in layers]}}).encode()
    blobs[(repo, sha(config))] = config
    descs = []
    for layer, _ in layers:
        ld = sha(layer)
        blobs[(repo, ld)] = layer[:-1] + bytes([layer[-1] ^ 1]) if corrupt else layer
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": ld, "size": len(layer) + size_delta})
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": sha(config), "size": len(config)},
                           "layers": descs}).encode()
    m = {"1": (manifest, "application/vnd.oci.image.manifest.v1+json")}
    m[sha(manifest)] = m["1"]
    repos[repo] = m
    return manifest


okm = image("x/ok", "hello from the fake registry\n")
image("x/long", "long\n", size_delta=-10)
image("x/baddigest", "bad\n", corrupt=True)
other = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": "sha256:" + "1" * 64, "size": 2}, "layers": []}).encode()
repos["x/ok"][sha(other)] = (other, "application/vnd.oci.image.manifest.v1+json")
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [
                        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "digest": sha(other), "size": len(other),
                         "platform": {"os": "linux", "architecture": "s390x"}},
                        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "digest": sha(okm), "size": len(okm),
                         "platform": {"os": "linux", "architecture": ARCH}}]}).encode()
repos["x/ok"]["multi"] = (index, "application/vnd.oci.image.index.v1+json")
repos["x/ok"][sha(index)] = repos["x/ok"]["multi"]
ports = {}

# 0403's repositories
rnd = random.Random(403)
image("x/flaky", "flaky\n")
for r in ("x/cut", "x/cut200", "x/badrange"):
    image(r, "", layers=[layer_bytes("big", rnd.randbytes(256 << 10))])
image("x/down", "down\n")
image("x/scope", "", layers=[layer_bytes("s%d" % i) for i in range(3)])
image("x/par", "", layers=[layer_bytes("p%d" % i) for i in range(6)])
image("x/failfast", "", layers=[layer_bytes("f%d" % i) for i in range(5)])
image("x/dup", "", layers=[layer_bytes("d")] * 2)
HUGE = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "pad": "x" * (5 << 20)}).encode()
repos["x/huge"] = {"1": (HUGE, "application/vnd.oci.image.manifest.v1+json"),
                   "chunked": (HUGE, "application/vnd.oci.image.manifest.v1+json")}
SCOPE2 = "repository:x/base:pull repository:x/scope:pull"


def layer_digests(repo):
    man = json.loads(repos[repo]["1"][0])
    return [l["digest"] for l in man["layers"]]


counts = {}
inflight = [0]


def first(key):
    """True for the first request of key."""
    with lock:
        counts[key] = counts.get(key, 0) + 1
        return counts[key] == 1


def token_for(scopes):
    return "t0ken-" + base64.urlsafe_b64encode(" ".join(sorted(scopes)).encode()).decode()


def token_scopes(auth):
    if not auth or not auth.startswith("Bearer t0ken-"):
        return None
    try:
        return set(base64.urlsafe_b64decode(auth[13:]).decode().split(" "))
    except Exception:
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def auth(self):
        a = self.headers.get("Authorization")
        return a.split(" ")[0] if a else "-"

    def logreq(self, origin, n=0):
        log("%s %s %s auth=%s range=%s inflight=%d" % (origin, self.command, self.path, self.auth(),
                                                      self.headers.get("Range") or "-", n))

    def cut(self, body, at):
        """Promise body, send its first at bytes, drop the connection."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:at])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def drop(self):
        """No answer at all: an empty reply."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


class Registry(Handler):
    def challenge(self, scope, error=None):
        chal = 'Bearer realm="http://127.0.0.1:%d/token",service="fake",scope="%s"' % (
            ports["reg"], scope)
        if error:
            chal += ',error="%s"' % error
        return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                         headers=[("WWW-Authenticate", chal)])

    def token(self):
        if self.headers.get("Authorization") != "Basic " + BASIC:
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        scopes = [x for v in q.get("scope", []) for x in v.split(" ")]
        return self.send(200, json.dumps({"token": token_for(scopes)}).encode())

    def do_GET(self):
        self.logreq("registry")
        if self.path.startswith("/token"):
            return self.token()
        parts = self.path.split("/")  # '', v2, x, repo, kind, ref
        if len(parts) != 6 or parts[1] != "v2":
            return self.send(404)
        repo, kind, ref = parts[2] + "/" + parts[3], parts[4], parts[5]
        granted = token_scopes(self.headers.get("Authorization"))
        if granted is None or "repository:%s:pull" % repo not in granted:
            return self.challenge("repository:%s:pull" % repo)
        if repo == "x/scope" and kind == "blobs" and not set(SCOPE2.split(" ")) <= granted:
            return self.challenge(SCOPE2, "insufficient_scope")
        if kind == "manifests" and ref in repos.get(repo, {}):
            return self.manifest(repo, ref)
        if kind == "blobs" and (repo, ref) in blobs:
            return self.blob(repo, ref)
        return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')

    def manifest(self, repo, ref):
        body, ctype = repos[repo][ref]
        hdrs = [("Docker-Content-Digest", sha(body))]
        if repo == "x/down":
            return self.send(503, b'{"errors":[{"code":"UNAVAILABLE"}]}')
        if repo == "x/flaky" and first(self.path):
            return self.send(500, b'{"errors":[{"code":"UNKNOWN"}]}')
        if repo == "x/cut" and first(self.path):
            return self.cut(body, len(body) // 2)
        if ref == "chunked":
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 1 << 16):
                c = body[i:i + (1 << 16)]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
            self.wfile.write(b"0\r\n\r\n")
            return
        return self.send(200, body, ctype, hdrs)

    def blob(self, repo, ref):
        if repo == "x/flaky" and ref not in layer_digests(repo) and first(self.path):
            return self.send(429, b'{"errors":[{"code":"TOOMANYREQUESTS"}]}',
                             headers=[("Retry-After", "1")])
        loc = "http://127.0.0.1:%d/storage/%s/%s" % (ports["store"], repo, ref)
        return self.send(302 if repo == "x/flaky" else 307, b"", headers=[("Location", loc)])

    do_HEAD = do_GET


class Storage(Handler):
    def do_GET(self):
        with lock:
            inflight[0] += 1
            n = inflight[0]
        try:
            self.logreq("storage", n)
            self.serve()
        finally:
            with lock:
                inflight[0] -= 1

    def serve(self):
        p = self.path.split("/")  # '', storage, x, repo, digest
        key = (p[2] + "/" + p[3], p[4]) if len(p) == 5 else None
        if key not in blobs:
            return self.send(404)
        repo, body = key[0], blobs[key]
        layers = layer_digests(repo)
        if repo == "x/flaky" and key[1] in layers and first(self.path):
            return self.drop()
        if repo in ("x/cut", "x/cut200", "x/badrange") and key[1] in layers:
            if first(self.path):
                return self.cut(body, len(body) // 2)
            rng = self.headers.get("Range")
            if rng and repo != "x/cut200":
                start = int(rng[len("bytes="):].rstrip("-")) + (repo == "x/badrange")
                return self.send(206, body[start:], "application/octet-stream",
                                 [("Content-Range", "bytes %d-%d/%d" %
                                   (start, len(body) - 1, len(body)))])
        if repo == "x/par" and key[1] in layers:
            time.sleep(0.2 * (len(layers) - layers.index(key[1])))
        if repo == "x/failfast" and key[1] in layers:
            if key[1] == layers[0]:
                return self.send(404)
            time.sleep(5)
        return self.send(200, body, "application/octet-stream")


reg = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
store = ThreadingHTTPServer(("127.0.0.1", 0), Storage)
ports["reg"], ports["store"] = reg.server_address[1], store.server_address[1]
threading.Thread(target=store.serve_forever, daemon=True).start()
# the tests' view of the images: PORTFILE.json = {repo: {"config": d, "layers": [d, ...]}}
with open(PORTFILE + ".json", "w") as f:
    json.dump({r: {"config": json.loads(m["1"][0])["config"]["digest"], "layers": layer_digests(r)}
               for r, m in repos.items() if r != "x/huge"}, f)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d %d\n" % (ports["reg"], ports["store"]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
reg.serve_forever()
