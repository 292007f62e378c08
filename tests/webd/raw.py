#!/usr/bin/env python3
"""Raw-socket probes for the webd tests.

raw.py send PORT REQUEST [TIMEOUT]  send REQUEST (Python escapes such as
    \\r\\n and \\x00 are decoded) in one write; print what comes back until
    the server closes or TIMEOUT seconds pass without data
raw.py slowloris PORT LIMIT  trickle a request header one byte a second;
    print the seconds until the server closed the connection, or "open"
    after LIMIT seconds
raw.py idle PORT N SECONDS  open N keep-alive connections, make one request
    on each, and hold them open for SECONDS
raw.py tlsidle PORT N SECONDS  as idle, over TLS: N connections, each
    with its handshake done and one request answered, held for SECONDS
raw.py count PORT N  open N connections at once, send a request on each,
    print how many got an HTTP answer
raw.py tlsrecords PORT N PATH  over one TLS connection, N GETs of PATH one
    after the other; print how many TLS records each answer came in (the
    first also holds TLS 1.3's session tickets)
raw.py tlspipeline PORT N PATH SECONDS PID  over one TLS connection with
    a small receive buffer, N GETs of PATH sent at once; nothing is read
    for SECONDS, then all answers; print how many came whole and how much
    webd's (PID) resident memory grew meanwhile, in kB
raw.py tlsturns PORT PATH N  N TLS connections, each with answers of
    several kinds in turn: 200s for PATH, a 304 (its ETag in
    If-None-Match), a 404, a 206 (its first 100 bytes); print the slowest
    kind's median time, in ms, and that kind
raw.py notify PATH SECONDS  receive sd_notify datagrams on the Unix socket
    PATH for SECONDS, one message per line on stdout
"""
import socket
import ssl
import sys
import time


def recv_all(s, timeout):
    s.settimeout(timeout)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except socket.timeout:
        pass
    except ConnectionResetError:
        out += b"\n<RESET>"
    return out


def send(port, req, timeout):
    data = req.encode("latin-1").decode("unicode_escape").encode("latin-1")
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    out = recv_all(s, timeout)
    s.close()
    sys.stdout.write(out.decode("latin-1"))


def slowloris(port, limit):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    req = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
    t0 = time.time()
    i = 0
    while time.time() - t0 < limit:
        try:
            s.send(req[i:i + 1])
        except OSError:
            break
        i += 1
        s.settimeout(1.0)
        try:
            if s.recv(1024) == b"":
                break
        except socket.timeout:
            continue
        except OSError:
            break
    else:
        print("open")
        return
    print("%.1f" % (time.time() - t0))


def idle(port, n, seconds):
    conns = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        conns.append(s)
    for s in conns:
        s.recv(4096)
    print("open", len(conns), flush=True)
    time.sleep(seconds)


def content_length(head):
    """The Content-Length of a response header (bytes), or 0."""
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return int(v)
    return 0


def tlsidle(port, n, seconds):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conns = []
    for _ in range(n):
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        s = ctx.wrap_socket(raw)
        s.sendall(b"GET /1k.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        got = b""
        while b"\r\n\r\n" not in got:
            got += s.recv(4096)
        head, body = got.split(b"\r\n\r\n", 1)
        want = content_length(head)
        while len(body) < want:
            body += s.recv(4096)
        conns.append(s)
    print("open", len(conns), flush=True)
    time.sleep(seconds)


class Records:
    """A TLS client on a socket that counts the records it receives."""

    def __init__(self, port):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out)
        self.raw = b""
        self.records = 0
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.flush()
                self.receive()
        self.flush()

    def flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def receive(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("closed")
        self.raw += data
        while len(self.raw) >= 5:
            end = 5 + int.from_bytes(self.raw[3:5], "big")
            if len(self.raw) < end:
                break
            self.records += 1
            self.raw = self.raw[end:]
        self.inc.write(data)

    def get(self, path):
        """The number of records the answer to a GET of path came in."""
        self.tls.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        self.flush()
        self.records = 0
        got = b""
        while True:
            try:
                got += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self.receive()
                continue
            if b"\r\n\r\n" not in got:
                continue
            head, body = got.split(b"\r\n\r\n", 1)
            if len(body) >= content_length(head):
                return self.records


def tlsrecords(port, n, path):
    r = Records(port)
    print(" ".join(str(r.get(path)) for _ in range(n)))


def tls_answer(s, buf):
    """One answer from the TLS socket s: (head, rest of what was read)."""
    while b"\r\n\r\n" not in buf:
        data = s.recv(65536)
        if not data:
            raise EOFError("closed")
        buf += data
    head, buf = buf.split(b"\r\n\r\n", 1)
    want = 0 if head.startswith(b"HTTP/1.1 304") else content_length(head)
    while len(buf) < want:
        data = s.recv(65536)
        if not data:
            raise EOFError("closed")
        buf += data
    return head, buf[want:]


def tlsturns(port, path, n):
    """Each round on a new connection: what libmicrohttpd and webd do to
    the socket (corked or not) depends on the answers before."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    times = {}
    for _ in range(n):
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port),
                                                     timeout=5))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head, buf = tls_answer(s, b"")
        etag = [line.split(b":", 1)[1].strip().decode() for line in
                head.split(b"\r\n") if line.lower().startswith(b"etag:")][0]
        for want, p, extra in [
                ("304", path, f"If-None-Match: {etag}\r\n"),
                ("200", path, ""), ("404", "/no-such-file", ""),
                ("200", path, ""), ("206", path, "Range: bytes=0-99\r\n"),
                ("200", path, "")]:
            t0 = time.monotonic()
            s.sendall(f"GET {p} HTTP/1.1\r\nHost: x\r\n{extra}\r\n"
                      .encode())
            head, buf = tls_answer(s, buf)
            times.setdefault(want, []).append((time.monotonic() - t0) * 1000)
            if not head.startswith(f"HTTP/1.1 {want}".encode()):
                raise SystemExit("not a " + want + ": " +
                                 head.decode(errors="replace"))
        s.close()
    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
    k = max(med, key=med.get)
    print(f"{med[k]:.1f} {k}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tlspipeline(port, n, path, seconds, pid):
    """The client stops reading: the server's answers fill the socket,
    and its sends are taken only in part."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(10)
    raw.connect(("127.0.0.1", port))
    s = ctx.wrap_socket(raw)
    before = rss_kb(pid)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode() * n)
    time.sleep(seconds)
    grown = rss_kb(pid) - before
    whole = 0
    buf = b""
    try:
        while whole < n:
            while b"\r\n\r\n" not in buf:
                data = s.recv(65536)
                if not data:
                    raise EOFError
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            want = content_length(head)
            while len(buf) < want:
                data = s.recv(65536)
                if not data:
                    raise EOFError
                buf += data
            if head.startswith(b"HTTP/1.1 200"):
                whole += 1
            buf = buf[want:]
    except (OSError, EOFError):
        pass
    print(whole, grown)


def count(port, n):
    """Each connection sends its request at once (the header deadline
    runs from the accept) and stays open, so all n are open together."""
    conns = []
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
            conns.append(s)
        except OSError:
            pass
    answered = 0
    for s in conns:
        try:
            s.settimeout(5)
            if s.recv(12).startswith(b"HTTP/1.1 200"):
                answered += 1
        except OSError:
            pass
    print(answered)


def notify(path, seconds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    end = time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            msg = s.recv(4096)
        except socket.timeout:
            break
        print(msg.decode("utf-8", "replace").replace("\n", " "),
              flush=True)


def main():
    if sys.argv[1] == "notify":
        notify(sys.argv[2], float(sys.argv[3]))
        return
    cmd, port = sys.argv[1], int(sys.argv[2])
    if cmd == "send":
        send(port, sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4
             else 1.0)
    elif cmd == "slowloris":
        slowloris(port, float(sys.argv[3]))
    elif cmd == "count":
        count(port, int(sys.argv[3]))
    elif cmd == "idle":
        idle(port, int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "tlsidle":
        tlsidle(port, int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "tlsrecords":
        tlsrecords(port, int(sys.argv[3]), sys.argv[4])
    elif cmd == "tlsturns":
        tlsturns(port, sys.argv[3], int(sys.argv[4]))
    elif cmd == "tlspipeline":
        tlspipeline(port, int(sys.argv[3]), sys.argv[4],
                    float(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
