#!/usr/bin/env python3
"""fcgi.py - a small FastCGI client for appd's tests (written from the
FastCGI 1.0 spec). Used where cgi-fcgi cannot go: kept connections,
GET_VALUES, protocol status, idle connections, many requests in parallel.

usage as a command:
  fcgi.py SOCK METHOD URI [BODY_FILE|-] [NAME=VALUE...]
prints "protocol=N status=NNN" then the response head and body; exit 0.
"""
import socket
import struct
import sys

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, STDERR = 1, 2, 3, 4, 5, 6, 7
GET_VALUES, GET_VALUES_RESULT, UNKNOWN = 9, 10, 11


def record(rtype, rid, content=b""):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), pad, 0) + \
        content + b"\0" * pad


def nvlen(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def pairs(d):
    out = b""
    for k, v in d.items():
        k = k.encode() if isinstance(k, str) else k
        v = v.encode() if isinstance(v, str) else v
        out += nvlen(len(k)) + nvlen(len(v)) + k + v
    return out


def stream(rtype, rid, data):
    out = b""
    for i in range(0, len(data), 65528):
        out += record(rtype, rid, data[i:i + 65528])
    return out + record(rtype, rid)


def connect(path, timeout=30):
    if path.startswith("unix:"):
        path = path[5:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_record(s, buf):
    """Returns (type, id, content, buf) or None at EOF."""
    while len(buf) < 8:
        d = s.recv(65536)
        if not d:
            return None
        buf += d
    _, rtype, rid, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
    need = 8 + clen + plen
    while len(buf) < need:
        d = s.recv(65536)
        if not d:
            return None
        buf += d
    return rtype, rid, buf[8:8 + clen], buf[need:]


def params_for(method, uri, body_len=None, extra=None):
    path, _, query = uri.partition("?")
    p = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "SCRIPT_NAME": path,
         "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
         "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "localhost",
         "SERVER_PORT": "80"}
    if body_len is not None:
        p["CONTENT_LENGTH"] = str(body_len)
    p.update(extra or {})
    return p


class Conn:
    """A FastCGI connection; request() may be called again with keep."""

    def __init__(self, path, timeout=30):
        self.s = connect(path, timeout)
        self.buf = b""

    def send_request(self, method, uri, body=b"", extra=None, keep=False,
                     rid=1):
        p = params_for(method, uri, len(body) if body else None, extra)
        msg = record(BEGIN, rid, struct.pack(">HB5x", 1, 1 if keep else 0))
        msg += stream(PARAMS, rid, pairs(p)) + stream(STDIN, rid, body)
        self.s.sendall(msg)

    def read_response(self):
        """Returns (protocol_status or None at EOF, stdout bytes, stderr)."""
        out, err = b"", b""
        while True:
            r = read_record(self.s, self.buf)
            if r is None:
                return None, out, err
            rtype, rid, content, self.buf = r
            if rtype == STDOUT:
                out += content
            elif rtype == STDERR:
                err += content
            elif rtype == END:
                return content[4], out, err

    def request(self, method, uri, body=b"", extra=None, keep=False):
        self.send_request(method, uri, body, extra, keep)
        return self.read_response()

    def close(self):
        self.s.close()


def split_response(out):
    head, _, body = out.partition(b"\r\n\r\n")
    status, headers = 200, {}
    for line in head.split(b"\r\n"):
        k, _, v = line.decode("latin-1").partition(":")
        v = v.strip()
        if k.lower() == "status":
            status = int(v.split()[0])
        elif k:
            headers[k.lower()] = v
    return status, headers, body


def main():
    sock, method, uri = sys.argv[1:4]
    body = b""
    extra = {}
    rest = sys.argv[4:]
    if rest and "=" not in rest[0]:
        f = rest.pop(0)
        body = sys.stdin.buffer.read() if f == "-" else open(f, "rb").read()
    for kv in rest:
        k, _, v = kv.partition("=")
        extra[k] = v
    c = Conn(sock)
    proto, out, _ = c.request(method, uri, body, extra)
    if proto is None:
        print("protocol=eof status=0")
        return 0
    status, headers, rbody = split_response(out)
    print("protocol=%d status=%d" % (proto, status))
    for k, v in headers.items():
        print("%s: %s" % (k, v))
    print()
    sys.stdout.flush()
    sys.stdout.buffer.write(rbody)
    return 0


if __name__ == "__main__":
    sys.exit(main())
