#!/usr/bin/env python3
"""An HTTP proxy on loopback for tests/integration/0408-*.sh that refuses
everything and logs what it was asked for: one line per request to LOG,
its request line ("CONNECT registry-1.docker.io:443 HTTP/1.1", or "GET
http://host/path HTTP/1.1").  The answer is 403, so nothing leaves the
machine.  The port is written to PORTFILE.
"""
import os, socketserver, sys, threading

PORTFILE, LOG = sys.argv[1], sys.argv[2]
lock = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(8192).decode("latin-1").strip()
        while True:  # the headers
            h = self.rfile.readline(8192)
            if not h or h in (b"\r\n", b"\n"):
                break
        with lock, open(LOG, "a") as f:
            f.write(line + "\n")
        self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
