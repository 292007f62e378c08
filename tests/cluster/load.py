#!/usr/bin/env python3
"""The steady probe of make cluster-check, run in the client host beside
wrk: GET and POST workers on kept connections to the site's address, until
SIGTERM or SIGINT.

Every request is counted; a failed one is any answer other than the
expected status (200 for GETs, 201 for POSTs), a reset, or a time-out. The
longest gap is the longest time with no successful answer at all, across
the workers. Each 201's message id and text are kept, so that the end of
the test can look for every one of them in the database.

On exit it writes a JSON summary to --out:
{"requests": N, "failed": N, "gap": SECONDS, "first_ok": T, "posts": [[id,
text], ...], "errors": ["...", ...] (the first ones), "gaps": [[start, end]
...] (the three longest)}
"""
import argparse
import http.client
import json
import signal
import threading
import time

stop = threading.Event()
lock = threading.Lock()
state = {"requests": 0, "failed": 0, "posts": [], "errors": [],
         "ok_times": []}


def record(ok, when, err=None, post=None):
    with lock:
        state["requests"] += 1
        if ok:
            state["ok_times"].append(when)
            if post is not None:
                state["posts"].append(post)
        else:
            state["failed"] += 1
            if len(state["errors"]) < 20:
                state["errors"].append("%.3f %s" % (when, err))


def worker(host, port, kind, tag, timeout, pause):
    conn = None
    n = 0
    while not stop.is_set():
        n += 1
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            if kind == "post":
                text = "%s-%d-%d" % (tag, n, time.monotonic_ns())
                body = json.dumps({"name": "cluster", "text": text})
                conn.request("POST", "/api/messages", body,
                             {"Content-Type": "application/json",
                              "Host": "www.foobar.com"})
                want = 201
            else:
                path = "/" if kind == "static" else "/api/messages?limit=1"
                conn.request("GET", path, headers={"Host": "www.foobar.com"})
                want = 200
            resp = conn.getresponse()
            data = resp.read()
            now = time.monotonic()
            if resp.status != want:
                record(False, now, "%s %d %s" % (kind, resp.status,
                                                  data[:80]))
            elif kind == "post":
                msg = json.loads(data)
                record(True, now, post=[msg["id"], text])
            else:
                record(True, now)
            if resp.will_close:
                conn.close()
                conn = None
        except Exception as e:  # any transport fault is a failed request
            record(False, time.monotonic(), "%s %s" % (kind, repr(e)[:120]))
            try:
                conn.close()
            except Exception:
                pass
            conn = None
            time.sleep(0.05)
        if pause:
            time.sleep(pause)


def gaps(times, started, ended):
    times = sorted(times)
    edges = [started] + times + [ended]
    spans = [(edges[i + 1] - edges[i], edges[i], edges[i + 1])
             for i in range(len(edges) - 1)]
    spans.sort(reverse=True)
    return spans[:3]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="p")
    ap.add_argument("--get-workers", type=int, default=2)
    ap.add_argument("--post-workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--pause", type=float, default=0.01)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    started = time.monotonic()
    kinds = (["static", "api"] * a.get_workers)[:a.get_workers] + \
        ["post"] * a.post_workers
    threads = [threading.Thread(target=worker,
                                args=(a.host, a.port, k, "%s%d" % (a.tag, i),
                                      a.timeout, a.pause))
               for i, k in enumerate(kinds)]
    for t in threads:
        t.start()
    while not stop.is_set():
        stop.wait(0.2)
    for t in threads:
        t.join(a.timeout + 5)
    ended = time.monotonic()
    with lock:
        top = gaps(state["ok_times"], started, ended)
        out = {"requests": state["requests"], "failed": state["failed"],
               "gap": round(top[0][0], 3) if top else 0,
               "gaps": [[round(s - started, 3), round(e - started, 3)]
                        for _, s, e in top],
               "posts": state["posts"], "errors": state["errors"],
               "seconds": round(ended - started, 3)}
    with open(a.out + ".tmp", "w") as f:
        json.dump(out, f)
    import os
    os.rename(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
