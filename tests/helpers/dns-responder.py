#!/usr/bin/env python3
"""A tiny DNS responder for the network tests (0520-0524): no Internet.

usage: dns-responder.py ADDR PORT ANSWER READYFILE [LOG]

Listens on UDP ADDR:PORT and answers every A query with ANSWER (an IPv4
address), every other query type with an empty answer (NOERROR), TTL 5.
Writes READYFILE once bound; appends "name type from-address" to LOG for
each query (how a test sees which resolver a step asked).
"""
import socket
import struct
import sys


def parse_name(msg, off):
    labels = []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            return ".".join(labels), off
        if n & 0xC0:  # a pointer: queries do not use them
            raise ValueError("compressed name in a query")
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n


def answer(msg, ip):
    qid, _flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        return None, None, None
    name, off = parse_name(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    an = b""
    if qtype == 1 and qclass == 1:
        an = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + socket.inet_aton(ip)
    head = struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if an else 0, 0, 0)
    return head + question + an, name, qtype


def main():
    addr, port, ip, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    log = sys.argv[5] if len(sys.argv) > 5 else None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    with open(ready, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    while True:
        msg, peer = s.recvfrom(4096)
        try:
            reply, name, qtype = answer(msg, ip)
        except (ValueError, IndexError, struct.error):
            continue
        if reply is None:
            continue
        if log:
            with open(log, "a") as f:
                f.write("%s %d %s\n" % (name, qtype, peer[0]))
        s.sendto(reply, peer)


if __name__ == "__main__":
    main()
