#!/usr/bin/env python3
"""A scripted fake registry on loopback for tests/integration/0401-*.sh.

Two listeners on free ports (written to PORTFILE as "REGPORT STOREPORT"):
the registry, which wants a Bearer token from its /token realm (that
wants Basic u:p) and redirects blob GETs to the storage listener, another
origin, which logs whether a request carried Authorization.  Repositories:
  x/ok         an image (config + one layer), also under an index (tag multi)
  x/long       a layer whose body is longer than its descriptor's size
  x/baddigest  a layer whose bytes do not match its digest
Every request is logged to LOG: "origin METHOD path auth=<scheme|->".
"""
import base64, gzip, hashlib, io, json, sys, tarfile, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, LOG, ARCH = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = "t0ken-abc"
BASIC = base64.b64encode(b"u:p").decode()
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def layer_bytes(text):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0), sha(raw)


blobs = {}
repos = {}


def image(repo, text, size_delta=0, corrupt=False):
    layer, diff_id = layer_bytes(text)
    config = json.dumps({"architecture": ARCH, "os": "linux",
                         "config": {"Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
    ld = sha(layer)
    blobs[(repo, sha(config))] = config
    blobs[(repo, ld)] = layer[:-1] + bytes([layer[-1] ^ 1]) if corrupt else layer
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": sha(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                       "digest": ld, "size": len(layer) + size_delta}]}).encode()
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


class Registry(Handler):
    def do_GET(self):
        log("registry %s %s auth=%s" % (self.command, self.path, self.auth()))
        if self.path.startswith("/token"):
            if self.headers.get("Authorization") != "Basic " + BASIC:
                return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return self.send(200, json.dumps({"token": TOKEN}).encode())
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            repo = self.path.split("/")[2:4]
            chal = ('Bearer realm="http://127.0.0.1:%d/token",service="fake",'
                    'scope="repository:%s:pull"' % (ports["reg"], "/".join(repo)))
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                             headers=[("WWW-Authenticate", chal)])
        parts = self.path.split("/")  # '', v2, x, repo, kind, ref
        if len(parts) != 6 or parts[1] != "v2":
            return self.send(404)
        repo, kind, ref = parts[2] + "/" + parts[3], parts[4], parts[5]
        if kind == "manifests" and ref in repos.get(repo, {}):
            body, ctype = repos[repo][ref]
            return self.send(200, body, ctype, [("Docker-Content-Digest", sha(body))])
        if kind == "blobs" and (repo, ref) in blobs:
            loc = "http://127.0.0.1:%d/storage/%s/%s" % (ports["store"], repo, ref)
            return self.send(307, b"", headers=[("Location", loc)])
        return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')

    do_HEAD = do_GET


class Storage(Handler):
    def do_GET(self):
        log("storage %s %s auth=%s" % (self.command, self.path, self.auth()))
        p = self.path.split("/")  # '', storage, x, repo, digest
        key = (p[2] + "/" + p[3], p[4]) if len(p) == 5 else None
        if key not in blobs:
            return self.send(404)
        return self.send(200, blobs[key], "application/octet-stream")


reg = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
store = ThreadingHTTPServer(("127.0.0.1", 0), Storage)
ports["reg"], ports["store"] = reg.server_address[1], store.server_address[1]
threading.Thread(target=store.serve_forever, daemon=True).start()
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d %d\n" % (ports["reg"], ports["store"]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
reg.serve_forever()
