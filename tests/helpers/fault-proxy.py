#!/usr/bin/env python3
"""An HTTP/1.1 proxy on loopback that breaks blob uploads, for the push
tests (tests/integration/0404-*.sh).

    fault-proxy.py PORTFILE LOG TARGET_PORT [--cut BYTES] [--mode MODE]
                   [--method METHOD] [--times N] [--lie-range]
                   [--slow MS] [--refuse-put DIGEST]

Listens on a free port of 127.0.0.1 (written to PORTFILE) and relays every
request to 127.0.0.1:TARGET_PORT (a docker-registry), one upstream
connection per client connection, keep-alive kept.  When the bodies of
METHOD (default PATCH) requests to one path (an upload) would pass BYTES,
the request that crosses the mark is cut, N times in all (default 1; each
cut upload counts anew from its next request):
  swallow  (default) its body is read from the client up to the mark, none
           of it reaches the registry, and both connections are closed: the
           registry's upload stays at the last whole chunk
  partial  its body is relayed up to the mark, then both connections are
           closed: the registry holds part of a chunk
  status5  it is answered 503 Service Unavailable, nothing relayed
With --slow, the answer to an upload's PUT or PATCH is held MS ms after
the registry gave it, and each such request's log line ends with
"[digest=<a PUT's digest=>] inflight=<N>": the uploads in flight (its own
included) when it began; one ends before its answer is relayed.
With --refuse-put, a PUT of DIGEST (its digest= parameter) is answered
400 Bad Request (BLOB_UPLOAD_INVALID), nothing relayed.
With --lie-range, a 204 answer to a GET of an upload claims
"Range: 0-999999999" (more than any test sends).
With --token, the proxy is also the registry's token server, as
distribution's token auth is: /token?service=&scope=...&scope=... grants
what each scope asks (logged "TOKEN scope=<s> scope=<s>"), and a /v2/
request relayed needs a Bearer token of those grants covering it (pull for
GET and HEAD, push for the rest, and pull on the repository a POST's
from= names) or is answered 401 with a Bearer challenge naming the
request's own repository only (a client asks for a mount's source itself,
as Docker's does); Authorization is not relayed.
Every request is logged to LOG, one line when its answer has come:
    METHOD PATH range=<Content-Range|-> sent=<body bytes relayed> status=<N|cut>
        answer-range=<Range|-> location=<yes|no> from=<the from= parameter|->
(on one line; the query string is dropped from PATH).
"""
import base64
import json
import socket
import sys
import threading
import time
import urllib.parse

PORTFILE, LOG, TARGET = sys.argv[1], sys.argv[2], int(sys.argv[3])
CUT = None
MODE = "swallow"
METHOD = "PATCH"
TIMES = 1
LIE = False
TOKEN = False
SLOW = 0.0
REFUSE = None
args = sys.argv[4:]
while args:
    if args[0] in ("--lie-range", "--token"):
        LIE = LIE or args[0] == "--lie-range"
        TOKEN = TOKEN or args[0] == "--token"
        args = args[1:]
        continue
    if args[0] == "--cut":
        CUT = int(args[1])
    elif args[0] == "--mode":
        MODE = args[1]
    elif args[0] == "--method":
        METHOD = args[1]
    elif args[0] == "--times":
        TIMES = int(args[1])
    elif args[0] == "--slow":
        SLOW = int(args[1]) / 1000.0
    elif args[0] == "--refuse-put":
        REFUSE = args[1]
    else:
        sys.exit("fault-proxy: unknown option " + args[0])
    args = args[2:]

PORT = 0
lock = threading.Lock()
state = {"sent": {}, "cuts": 0, "inflight": 0}
HEAD_MAX = 1 << 16


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


class Closed(Exception):
    pass


def read_head(sock, buf):
    """(head bytes, rest) of the next message on sock; buf holds what was read already."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > HEAD_MAX:
            raise Closed()
        data = sock.recv(65536)
        if not data:
            raise Closed()
        buf += data
    i = buf.index(b"\r\n\r\n") + 4
    return buf[:i], buf[i:]


def headers_of(head):
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return lines[0], hdrs


def relay_exact(src, dst, n, rest):
    """Relay n body bytes (rest first) from src to dst; returns what follows them."""
    take = rest[:n]
    if dst is not None and take:
        dst.sendall(take)
    n -= len(take)
    rest = rest[len(take):]
    while n > 0:
        data = src.recv(min(n, 65536))
        if not data:
            raise Closed()
        if dst is not None:
            dst.sendall(data)
        n -= len(data)
    return rest


def relay_chunked(src, dst, rest):
    """Relay a chunked body; returns what follows it."""
    while True:
        while b"\r\n" not in rest:
            data = src.recv(65536)
            if not data:
                raise Closed()
            rest += data
        i = rest.index(b"\r\n") + 2
        size = int(rest[:i].split(b";")[0].strip() or b"0", 16)
        dst.sendall(rest[:i])
        rest = relay_exact(src, dst, size + 2, rest[i:])
        if size == 0:
            return rest


def answer(up, client, method, rest, before=None):
    """Relay one response from up to client (before() first); (status, headers, rest)."""
    head, rest = read_head(up, rest)
    if before:
        before()
    status_line, hdrs = headers_of(head)
    status = int(status_line.split()[1])
    if LIE and method == "GET" and status == 204 and "range" in hdrs:
        lines = [l for l in head.decode("latin-1").split("\r\n")
                 if not l.lower().startswith("range:")]
        lines.insert(1, "Range: 0-999999999")
        head = "\r\n".join(lines).encode("latin-1")
        hdrs["range"] = "0-999999999"
    client.sendall(head)
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        pass
    elif hdrs.get("transfer-encoding", "").lower() == "chunked":
        rest = relay_chunked(up, client, rest)
    elif "content-length" in hdrs:
        rest = relay_exact(up, client, int(hdrs["content-length"]), rest)
    else:  # until the upstream closes
        if rest:
            client.sendall(rest)
        while True:
            data = up.recv(65536)
            if not data:
                break
            client.sendall(data)
        raise Closed()
    return status, hdrs, rest


def cut_here(method, path, length):
    """Is this request one to cut?  The bytes to relay (or swallow) before cutting."""
    with lock:
        if CUT is None or state["cuts"] >= TIMES or method != METHOD:
            return None
        sent = state["sent"].get(path, 0)
        if sent + length <= CUT:
            state["sent"][path] = sent + length
            return None
        state["cuts"] += 1
        state["sent"][path] = 0
        return max(CUT - sent, 0)


def grants(scopes):
    """{repository: set(actions)} of scope strings "repository:NAME:a,b"."""
    out = {}
    for s in scopes:
        for one in s.split():
            parts = one.split(":")
            if len(parts) == 3 and parts[0] == "repository":
                out.setdefault(parts[1], set()).update(parts[2].split(","))
    return out


def token_answer(client, target):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
    scopes = query.get("scope", [])
    log("TOKEN " + " ".join("scope=" + s for s in scopes))
    tok = "tok-" + base64.urlsafe_b64encode(json.dumps(scopes).encode()).decode()
    body = json.dumps({"token": tok}).encode()
    client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


def authorized(method, target, hdrs):
    """Does the request's Bearer token cover it?  (needed scope, ok)"""
    parts = urllib.parse.urlsplit(target)
    path = parts.path
    name = None
    for kind in ("/blobs/", "/manifests/"):
        if path.startswith("/v2/") and kind in path:
            name = path[4:path.index(kind)]
    if name is None:
        return "", True
    need = {name: {"pull"} if method in ("GET", "HEAD") else {"pull", "push"}}
    src = urllib.parse.parse_qs(parts.query).get("from", [None])[0]
    if method == "POST" and src:
        need.setdefault(src, set()).add("pull")
    # the challenge names the request's own repository only (as some
    # registries' do): a mount's source scope is the client's to add
    scope = "repository:%s:%s" % (name, ",".join(sorted(need[name])))
    auth = hdrs.get("authorization", "")
    if not auth.startswith("Bearer tok-"):
        return scope, False
    try:
        have = grants(json.loads(base64.urlsafe_b64decode(auth[11:])))
    except ValueError:
        return scope, False
    return scope, all(a <= have.get(n, set()) for n, a in need.items())


def challenge(client, scope):
    client.sendall(("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n"
                    "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\","
                    "service=\"fault-proxy\",scope=\"%s\"\r\n\r\n"
                    % (PORT, scope)).encode())


def strip_auth(head):
    lines = head.decode("latin-1").split("\r\n")
    return "\r\n".join(l for l in lines
                        if not l.lower().startswith("authorization:")).encode("latin-1")


def upload_begin(method, target):
    """For an upload's PUT or PATCH under --slow: " [digest=D] inflight=N" to log, else ""."""
    parts = urllib.parse.urlsplit(target)
    if not SLOW or method not in ("PUT", "PATCH") or "/blobs/uploads/" not in parts.path:
        return ""
    digest = urllib.parse.parse_qs(parts.query).get("digest", [None])[0]
    with lock:
        state["inflight"] += 1
        return "%s inflight=%d" % (" digest=" + digest if digest else "", state["inflight"])


class Upload:
    """An upload request in flight under --slow: ended (once) before its answer goes out."""

    def __init__(self, tag):
        self.tag, self.open = tag, bool(tag)

    def end(self, hold=False):
        if hold and self.open:
            time.sleep(SLOW)
        if self.open:
            self.open = False
            with lock:
                state["inflight"] -= 1


def refused(client, method, target, length, crest, rng, src):
    """Answer a PUT of the --refuse-put digest 400; what follows its body, or None."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
    if REFUSE is None or method != "PUT" or query.get("digest", [None])[0] != REFUSE:
        return None
    crest = relay_exact(client, None, length, crest)
    body = b'{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"refused by the test"}]}'
    client.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    log("%s %s range=%s sent=0 status=400 answer-range=- location=no from=%s"
        % (method, target.split("?")[0], rng, src))
    return crest


def serve(client):
    up = socket.create_connection(("127.0.0.1", TARGET))
    crest, urest = b"", b""
    try:
        while True:
            head, crest = read_head(client, crest)
            req, hdrs = headers_of(head)
            method, target = req.split()[0], req.split()[1]
            path = target.split("?")[0]
            src = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query).get("from", ["-"])[0]
            length = int(hdrs.get("content-length", "0"))
            rng = hdrs.get("content-range", "-")
            if TOKEN and path == "/token":
                token_answer(client, target)
                continue
            if TOKEN:
                scope, ok = authorized(method, target, hdrs)
                if not ok:
                    crest = relay_exact(client, None, length, crest)
                    challenge(client, scope)
                    log("%s %s range=%s sent=0 status=401 answer-range=- location=no from=%s"
                        % (method, path, rng, src))
                    continue
                head = strip_auth(head)
            rest = refused(client, method, target, length, crest, rng, src)
            if rest is not None:
                crest = rest
                continue
            keep = cut_here(method, path, length)
            if keep is not None and MODE == "status5":
                crest = relay_exact(client, None, length, crest)
                client.sendall(b"HTTP/1.1 503 Service Unavailable\r\n"
                               b"Content-Length: 0\r\n\r\n")
                log("%s %s range=%s sent=0 status=503 answer-range=- location=no from=%s"
                    % (method, path, rng, src))
                continue
            if keep is not None:
                if MODE == "partial":
                    up.sendall(head)
                    relay_exact(client, up, keep, crest)
                else:
                    relay_exact(client, None, keep, crest)
                log("%s %s range=%s sent=%d status=cut answer-range=- location=no from=%s"
                    % (method, path, rng, keep if MODE == "partial" else 0, src))
                return
            tag = upload_begin(method, target)
            inflight = Upload(tag)
            try:
                up.sendall(head)
                crest = relay_exact(client, up, length, crest)
                status, rh, urest = answer(up, client, method, urest,
                                           lambda: inflight.end(hold=True))
            finally:
                inflight.end()
            log("%s %s range=%s sent=%d status=%d answer-range=%s location=%s from=%s%s"
                % (method, path, rng, length, status, rh.get("range", "-"),
                   "yes" if "location" in rh else "no", src, tag))
    except (Closed, OSError):
        pass
    finally:
        for s in (client, up):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    global PORT
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    PORT = srv.getsockname()[1]
    with open(PORTFILE + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    import os
    os.rename(PORTFILE + ".tmp", PORTFILE)
    while True:
        client, _ = srv.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


main()
