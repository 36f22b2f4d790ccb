#!/usr/bin/env python3
"""token-issuer.py - a registry token server for the tests, on 127.0.0.1.

What docker-registry's `auth.token` form expects of its realm (the Docker
token spec, distribution's registry/auth/token): GET /token?service=S&
scope=repository:NAME:ACTIONS (scope repeatable, or several separated by
spaces), with or without Basic credentials, answers {"token": JWT,
"access_token": JWT, "expires_in": 300}.  The JWT is RS256, signed by the
openssl CLI with the test key (no pip packages); its header carries the
certificate as `x5c`, which the registry verifies against its
rootcertbundle (the same self-signed certificate).  Claims: iss, sub,
aud (the service), exp, nbf, iat, jti and `access`: for each scope asked,
the actions the caller may have of those asked -- USER:PASSWORD pairs
(--user, repeatable) may pull and push, anonymous callers only what
--anonymous says (default: pull).  Wrong credentials get a 401; a service
other than --service gets a 400.

usage: token-issuer.py PORTFILE LOG --key KEY.pem --cert CERT.pem
           --issuer ISS --service SVC [--user U:P]... [--anonymous ACTIONS]

It listens on a free port of 127.0.0.1, writes the port to PORTFILE once
it listens, and appends a line per request to LOG:
"GET /token user=<name|-> scope=<scopes> granted=<name:actions;...> -> <status>".
"""
import argparse
import base64
import binascii
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der_b64(path):
    """The PEM certificate at path as the base64 DER an x5c entry holds."""
    with open(path) as f:
        pem = f.read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    der = base64.b64decode("".join(body.split()))
    return base64.b64encode(der).decode()


class Issuer:
    def __init__(self, args):
        self.key = args.key
        self.x5c = [cert_der_b64(args.cert)]
        self.issuer = args.issuer
        self.service = args.service
        self.users = dict(u.split(":", 1) for u in args.user)
        self.anonymous = [a for a in args.anonymous.split(",") if a]

    def sign(self, data):
        p = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key],
                           input=data, capture_output=True, check=True)
        return p.stdout

    def token(self, subject, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": self.x5c}
        claims = {"iss": self.issuer, "sub": subject, "aud": self.service,
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": binascii.hexlify(os.urandom(8)).decode(), "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        return signing_input + "." + b64url(self.sign(signing_input.encode()))

    def grant(self, scopes, allowed):
        """The access claim: each repository scope with the asked actions allowed."""
        access = []
        for scope in scopes:
            typ, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if typ != "repository" or not name:
                continue
            ok = [a for a in actions.split(",") if a in allowed]
            access.append({"type": "repository", "name": name, "actions": ok})
        return access


def make_handler(issuer, log):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def note(self, user, scopes, access, status):
            granted = ";".join("%s:%s" % (a["name"], ",".join(a["actions"])) for a in access)
            with open(log, "a") as f:
                f.write("GET /token user=%s scope=%s granted=%s -> %d\n" %
                        (user or "-", " ".join(scopes), granted, status))

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="token-issuer"')
            self.end_headers()
            self.wfile.write(data)

        def credentials(self):
            """(user, ok): None when anonymous, ok False on wrong credentials."""
            h = self.headers.get("Authorization", "")
            if not h.lower().startswith("basic "):
                return None, True
            try:
                user, _, pw = base64.b64decode(h[6:].strip()).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return "?", False
            return user, self.users_ok(user, pw)

        def users_ok(self, user, pw):
            return issuer.users.get(user) == pw

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(url.query)
            scopes = [s for v in q.get("scope", []) for s in v.split(" ") if s]
            if url.path != "/token":
                return self.reply(404, {"errors": [{"code": "NOT_FOUND"}]})
            if q.get("service", [""])[0] != issuer.service:
                self.note(None, scopes, [], 400)
                return self.reply(400, {"errors": [{"code": "DENIED",
                                                    "message": "unknown service"}]})
            user, ok = self.credentials()
            if not ok:
                self.note(user, scopes, [], 401)
                return self.reply(401, {"errors": [{"code": "UNAUTHORIZED",
                                                    "message": "bad credentials"}]})
            allowed = ["pull", "push"] if user else issuer.anonymous
            access = issuer.grant(scopes, allowed)
            token = issuer.token(user or "", access)
            self.note(user, scopes, access, 200)
            self.reply(200, {"token": token, "access_token": token, "expires_in": 300,
                             "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portfile")
    ap.add_argument("log")
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--anonymous", default="pull")
    args = ap.parse_args()
    issuer = Issuer(args)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(issuer, args.log))
    tmp = args.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.portfile)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
