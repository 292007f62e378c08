#!/usr/bin/env python3
"""Figures of one scenario of make cluster-check, from the outputs of the
two wrk runs and of the probe (tests/cluster/load.py).

usage: report.py PROBE_JSON POSTS_FILE WRK_OUTPUT...
Prints "REQUESTS FAILED GAP" on one line, and appends each 201 of the
probe ("id<TAB>text") to POSTS_FILE. Failed wrk requests are its socket
errors (connect, read, write, time-out) and its non-2xx/3xx answers. A wrk
output without its summary counts as a failure of the run (exit 1).
"""
import json
import re
import sys


def wrk_figures(path):
    text = open(path, errors="replace").read()
    m = re.search(r"(\d+) requests in ", text)
    if not m:
        raise SystemExit("report: no wrk summary in %s:\n%s" % (path,
                                                               text[-500:]))
    failed = 0
    m2 = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+),"
                   r" timeout (\d+)", text)
    if m2:
        failed += sum(int(x) for x in m2.groups())
    m3 = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m3:
        failed += int(m3.group(1))
    return int(m.group(1)), failed


def main():
    probe = json.load(open(sys.argv[1]))
    requests, failed = probe["requests"], probe["failed"]
    for path in sys.argv[3:]:
        r, f = wrk_figures(path)
        requests += r
        failed += f
    with open(sys.argv[2], "a") as out:
        for mid, text in probe["posts"]:
            out.write("%s\t%s\n" % (mid, text))
    print(requests, failed, "%.1f" % probe["gap"])


if __name__ == "__main__":
    main()
