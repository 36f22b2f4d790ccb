#!/usr/bin/env python3
"""A registry front on loopback for tests/integration/0409-*.sh that only
authenticates: every /v2/ request wants a Bearer token; with the right one
the answer is 404 MANIFEST_UNKNOWN (so a pull that gets that far has
authenticated).  The challenge's realm is http://127.0.0.1:PORT/token, or
ftp://127.0.0.1/token for repositories under bad/.

The realm gives the token "good-token" for a POST refresh_token grant
with refresh_token=idtok, and for a GET with Basic u:p; anything else is
401.  Each request is logged to LOG as "METHOD path auth=<header or ->"
and, for a POST, "form <body>".  The port is written to PORTFILE.
"""
import base64, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PORTFILE, LOG = sys.argv[1], sys.argv[2]
BASIC = "Basic " + base64.b64encode(b"u:p").decode()
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        auth = self.headers.get("Authorization", "-")
        log("GET %s auth=%s" % (self.path, auth))
        if self.path.startswith("/token"):
            if auth == BASIC:
                return self.send(200, {"token": "good-token"})
            return self.send(401, {"errors": [{"code": "UNAUTHORIZED"}]})
        if auth == "Bearer good-token":
            return self.send(404, {"errors": [{"code": "MANIFEST_UNKNOWN"}]})
        port = self.server.server_address[1]
        realm = ("ftp://127.0.0.1/token" if self.path.startswith("/v2/bad/")
                 else "http://127.0.0.1:%d/token" % port)
        chal = 'Bearer realm="%s",service="svc"' % realm
        self.send(401, {"errors": [{"code": "UNAUTHORIZED"}]}, [("WWW-Authenticate", chal)])

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        log("POST %s auth=%s" % (self.path, self.headers.get("Authorization", "-")))
        log("form " + body)
        f = parse_qs(body)
        if (self.path == "/token" and f.get("grant_type") == ["refresh_token"]
                and f.get("refresh_token") == ["idtok"]):
            return self.send(200, {"access_token": "good-token", "expires_in": 300})
        self.send(401, {"errors": [{"code": "UNAUTHORIZED"}]})


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
