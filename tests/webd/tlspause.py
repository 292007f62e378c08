#!/usr/bin/python3
"""tlspause.py PORT CAFILE N PAUSE PID: N TLS clients (half TLS 1.3, half
TLS 1.2) each send their first flight, read the server's and then hold
their second flight back for PAUSE seconds, all at the same time, so that
the server has N connections waiting in the middle of their handshake.
Meanwhile the time the threads of process PID spend running or runnable
is read from /proc over the middle of the pause. Then every client sends the rest,
asks for / and reads the answer.

Prints "ANSWERED BUSY": how many got a 200, and the time PID's threads
were running or runnable during the pause per second of it (one thread
that never sleeps: 1.0, whatever else the machine runs). TLS runs over memory buffers,
so each flight leaves when this script says."""
import os
import socket
import ssl
import sys
import time


def busy_seconds(pid):
    """The time the threads of pid were running or waiting to run (the
    scheduler's run and run-queue times): on a machine shared with other
    work a thread that never sleeps still adds up one second a second,
    where its CPU time would only show its share of the cores."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                run, wait = f.read().split()[:2]
        except OSError:
            continue
        total += int(run) + int(wait)
    return total / 1e9


class Client:
    def __init__(self, port, ca, tls12):
        ctx = ssl.create_default_context(cafile=ca)
        if tls12:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname="a.test")

    def flush(self):
        d = self.out.read()
        if d:
            self.raw.sendall(d)

    def pull(self):
        d = self.raw.recv(65536)
        if not d:
            raise EOFError("closed by the server")
        self.inc.write(d)

    def first_flight(self):
        """Sends the ClientHello and reads until the client's next flight
        is ready (held in self.out, not sent)."""
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        self.flush()
        while True:
            self.pull()
            try:
                self.tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                if self.out.pending:
                    return

    def finish(self):
        while True:
            self.flush()
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.pull()
        self.tls.write(b"GET / HTTP/1.1\r\nHost: a.test\r\n"
                       b"Connection: close\r\n\r\n")
        self.flush()
        data = b""
        while True:
            try:
                d = self.tls.read(65536)
                if not d:
                    break
                data += d
            except ssl.SSLWantReadError:
                self.flush()
                try:
                    self.pull()
                except EOFError:
                    break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                break
        self.raw.close()
        return data.startswith(b"HTTP/1.1 200 ")


def main():
    port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    pause, pid = float(sys.argv[4]), int(sys.argv[5])
    clients = [Client(port, ca, i % 2 == 1) for i in range(n)]
    for c in clients:
        c.first_flight()
    # measure the middle of the pause, away from the first flights
    edge = pause / 4
    time.sleep(edge)
    c0, t0 = busy_seconds(pid), time.monotonic()
    time.sleep(pause - 2 * edge)
    c1, t1 = busy_seconds(pid), time.monotonic()
    time.sleep(edge)
    answered = 0
    for c in clients:
        try:
            answered += c.finish()
        except (OSError, EOFError, ssl.SSLError) as e:
            print("client %d: %s" % (clients.index(c), e), file=sys.stderr)
    print(answered, "%.2f" % ((c1 - c0) / (t1 - t0)))


main()
