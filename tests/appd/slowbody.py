"""Slow request bodies against an HTTP front of appd (tests/appd/appd-slowbody.sh).

usage: slowbody.py PORT APPD_SOCK SECONDS SLOW_CLIENTS LOAD_THREADS

For SECONDS: LOAD_THREADS keep-alive clients load /api/ (GET /api/health,
GET /api/messages?limit=5, POST /api/messages) and count failures; a
sampler asks appd's status page (over FastCGI, straight to APPD_SOCK) for
its active and total workers every 0.2 s; a sample fails when appd answers
FCGI_OVERLOADED (every worker busy for queue_timeout, 1 s) or not at all
within 10 s (a few seconds' stall of a shared machine is not a failure). After one second, SLOW_CLIENTS
connections from 127.0.0.2-127.0.0.9 send a POST header announcing 2000
bytes of body, then one byte every 0.5 s (2 bytes/s), until an answer
comes or SECONDS are over. Prints one JSON object.
"""
import http.client
import json
import os
import select
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fcgi  # noqa: E402

port, sock = int(sys.argv[1]), sys.argv[2]
secs, nslow, nload = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
t0 = time.time()
end = t0 + secs
lock = threading.Lock()
res = {"ok": 0, "failed": 0, "errors": [], "max_ms": 0, "slow": {},
       "slow_after_s": [], "samples": 0, "max_active": 0, "total": 0,
       "sample_failures": 0}


def count(key, detail=None):
    with lock:
        res[key] += 1
        if detail is not None and len(res["errors"]) < 10:
            res["errors"].append(detail)


def load(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    n = 0
    while time.time() < end:
        n += 1
        t = time.time()
        try:
            if n % 3 == 0:
                body = json.dumps({"name": "load%d" % k, "text": "m %d" % n})
                c.request("POST", "/api/messages", body,
                          {"Content-Type": "application/json"})
                want = 201
            else:
                c.request("GET", "/api/health" if n % 3 == 1 else
                          "/api/messages?limit=5")
                want = 200
            r = c.getresponse()
            r.read()
            ms = int((time.time() - t) * 1000)
            with lock:
                res["max_ms"] = max(res["max_ms"], ms)
            if r.status == want:
                count("ok")
            else:
                count("failed", "status %d" % r.status)
        except Exception as e:  # a failed request, whatever the reason
            count("failed", "%s after %.1f s" % (e, time.time() - t))
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)


def sampler():
    while time.time() < end:
        try:
            c = fcgi.Conn(sock, timeout=10)
            _, out, _ = c.request("GET", "/appd-status")
            c.close()
            text = out.decode("latin-1")
            a = int(text.split("active processes:")[1].split()[0])
            tot = int(text.split("total processes:")[1].split()[0])
            with lock:
                res["samples"] += 1
                res["max_active"] = max(res["max_active"], a)
                res["total"] = tot
        except Exception:
            count("sample_failures")
        time.sleep(0.2)


def slow(i):
    src = "127.0.0.%d" % (2 + i % 8)
    outcome = "none"
    start = time.time()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5,
                                     source_address=(src, 0))
        s.sendall(b"POST /api/messages HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: 2000\r\n\r\n")
        got = b""
        while time.time() < end:
            r, _, _ = select.select([s], [], [], 0.5)
            if r:
                d = s.recv(4096)
                if not d:
                    outcome = ("closed" if not got else
                               got.split(b" ")[1].decode())
                    break
                got += d
                if b"\r\n" in got:
                    outcome = got.split(b" ")[1].decode()
                    break
                continue
            s.send(b" ")
        s.close()
    except ConnectionResetError:
        outcome = "reset"
    except OSError as e:
        outcome = "error %s" % e.strerror
    with lock:
        res["slow"][outcome] = res["slow"].get(outcome, 0) + 1
        if outcome != "none":
            res["slow_after_s"].append(round(time.time() - start, 1))


threads = [threading.Thread(target=sampler)]
threads += [threading.Thread(target=load, args=(k,)) for k in range(nload)]
for t in threads:
    t.start()
time.sleep(1)
slows = [threading.Thread(target=slow, args=(i,)) for i in range(nslow)]
for t in slows:
    t.start()
    time.sleep(0.01)
for t in threads + slows:
    t.join()
a = res.pop("slow_after_s")
res["slow_answer_s"] = [min(a), max(a)] if a else []
print(json.dumps(res, sort_keys=True))
