#!/usr/bin/env python3
"""A misbehaving FastCGI backend for the webd tests.

fcgi_backend.py SOCKET MODE   listen on the Unix socket SOCKET; for each
request, after reading its STDIN to the end:
  malformed   answer bytes that are not FastCGI (bad version)
  overloaded  END_REQUEST with protocol status FCGI_OVERLOADED
  close       close the connection without a word
  slow        say nothing (the client must time out)
  noheader    STDOUT without the blank line that ends a CGI header
  ok          a small valid response (Status: 201)
"""
import os
import socket
import struct
import sys
import threading
import time


def record(rtype, content, rid=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), pad, 0) + \
        content + b"\0" * pad


def read_request(conn):
    buf = b""
    while True:
        while len(buf) >= 8:
            _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", buf[:8])
            if len(buf) < 8 + clen + plen:
                break
            buf = buf[8 + clen + plen:]
            if rtype == 5 and clen == 0:  # end of STDIN
                return True
        data = conn.recv(65536)
        if not data:
            return False
        buf += data


def serve(conn, mode):
    try:
        while read_request(conn):
            end = record(3, struct.pack(">IB3x", 0, 0))
            if mode == "malformed":
                conn.sendall(b"\x09garbage that is not fastcgi at all\r\n")
                time.sleep(0.2)
                break
            if mode == "overloaded":
                conn.sendall(record(3, struct.pack(">IB3x", 0, 2)))
                continue
            if mode == "close":
                break
            if mode == "slow":
                time.sleep(30)
                break
            if mode == "noheader":
                conn.sendall(record(6, b"just text, no header") +
                             record(6, b"") + end)
                continue
            conn.sendall(record(6, b"Status: 201 Created\r\n"
                                b"Content-Type: text/plain\r\n\r\nmade\n") +
                         record(6, b"") + end)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
