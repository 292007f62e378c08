#!/bin/sh
# tests/appd/appd-fcgi.sh - foobar-appd with cgi-fcgi (libfcgi-bin) as a
# real FastCGI client: the status page, every guestbook route and bad
# input, CGI scripts in Perl, shell, Python and PHP (php-cgi), a 10 MB
# body streamed to a script, CGI timeout, bad CGI output, a clean CGI
# environment, GET_VALUES and kept connections (tests/appd/fcgi.py).
. "$(dirname "$0")/lib.sh"

db_setup
cp "$SRCDIR/appd/cgi-bin/hello.pl" "$T/cgi/"
cat >"$T/cgi/env.sh" <<'S'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
env | sort
echo "fds: $(ls /proc/$$/fd | sort -n | tr '\n' ' ')"
S
cat >"$T/cgi/count.py" <<'S'
#!/usr/bin/env python3
import hashlib, sys
data = sys.stdin.buffer.read()
sys.stdout.write("Content-Type: text/plain\r\n\r\n")
sys.stdout.write("%d %s\n" % (len(data), hashlib.md5(data).hexdigest()))
S
cat >"$T/cgi/info.php" <<'S'
#!/usr/bin/php-cgi
<?php
header("X-Php: yes");
echo "php ok ", $_SERVER["REQUEST_METHOD"], " ", $_GET["a"] ?? "-", "\n";
S
cat >"$T/cgi/sleep.sh" <<'S'
#!/bin/sh
sleep 30
printf 'Content-Type: text/plain\r\n\r\nlate\n'
S
cat >"$T/cgi/bad.sh" <<'S'
#!/bin/sh
echo "no header here"
S
cat >"$T/cgi/status.sh" <<'S'
#!/bin/sh
printf 'Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\ngone\n'
S
cat >"$T/cgi/location.sh" <<'S'
#!/bin/sh
printf 'Location: /elsewhere\r\n\r\n'
S
cat >"$T/cgi/big.sh" <<'S'
#!/bin/sh
printf 'Content-Type: application/octet-stream\r\n\r\n'
head -c 1500000 /dev/zero
S
cat >"$T/cgi/huge.sh" <<'S'
#!/bin/sh
printf 'Content-Type: application/octet-stream\r\n\r\n'
head -c 5000000 /dev/zero
S
cat >"$T/cgi/noexec.sh" <<'S'
#!/bin/sh
echo never
S
chmod 755 "$T"/cgi/*.sh "$T"/cgi/*.py "$T"/cgi/*.php
chmod 644 "$T/cgi/noexec.sh"

CGI_TIMEOUT=2 CGI_MAX_OUTPUT=2m appd_conf workers=2 request_timeout=20
APPD_SECRET=leak appd_start 2 || exit 1
OUT=$T/out

# req METHOD URI [CONTENT_TYPE [BODY_FILE]] [VAR=VALUE...]: cgi-fcgi, output
# in $OUT, status in $ST.
req() {
	_m=$1 _u=$2 _ct=${3:-} _bf=${4:-/dev/null}
	shift 2
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && shift
	_len=$(wc -c <"$_bf")
	env -i REQUEST_METHOD="$_m" REQUEST_URI="$_u" \
	    QUERY_STRING="$(echo "$_u" | sed -n 's/^[^?]*?//p')" \
	    CONTENT_TYPE="$_ct" CONTENT_LENGTH="$_len" SERVER_NAME=localhost \
	    SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 \
	    "$@" timeout 20 cgi-fcgi -bind -connect "$SOCK" <"$_bf" \
	    >"$OUT" 2>"$T/err"
	ST=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$OUT" | head -n 1)
	[ -n "$ST" ] || ST=200
}

# expect STATUS: the last req answered STATUS.
expect() {
	[ "$ST" = "$1" ] || { echo "  got $ST, want $1:"; head -c 600 "$OUT";
	    echo; return 1; }
}
has() {
	grep -q -- "$1" "$OUT" || { echo "  no '$1' in:"; head -c 600 "$OUT";
	    echo; return 1; }
}
body() {
	printf '%s' "$1" >"$T/body"
}

# --- status page
req GET /appd-status
check "status page text" eval 'expect 200 && has "^idle processes:" &&
    has "^total processes: 2"'
req GET "/appd-status?json"
check "status page json" eval 'expect 200 && sed "1,/^\r$/d" "$OUT" |
    $PY -c "import json,sys; d=json.load(sys.stdin);
assert d[\"total processes\"] == 2, d"'

# --- guestbook
req GET /api/health
check "health 200 with schema 1" eval 'expect 200 &&
    has "\"status\":\"ok\",\"db\":\"ok\",\"schema\":1"'
req POST /api/health
check "health POST 405 with Allow" eval 'expect 405 && has "^Allow: GET, HEAD"'
req GET /api/messages
check "empty list" eval 'expect 200 && has "^\[\]"'
body '{"name":"Ann","text":"hello world"}'
req POST /api/messages application/json "$T/body"
check "post JSON 201 + Location" eval 'expect 201 &&
    has "^Location: /api/messages/1" && has "\"name\":\"Ann\"" &&
    has "\"created_at\":\"20"'
body 'name=Bob+B&text=caf%C3%A9+%26+more'
req POST /api/messages "application/x-www-form-urlencoded" "$T/body"
check "post form 201" eval 'expect 201 && has "\"name\":\"Bob B\"" &&
    has "café & more"'
req GET /api/messages/1
check "get one" eval 'expect 200 && has "\"id\":1,"'
req GET /api/messages/99
check "get missing 404" expect 404
req GET "/api/messages?limit=1"
check "limit=1 newest first" eval 'expect 200 && has "\"id\":2" &&
    ! grep -q "\"id\":1" "$OUT"'
req GET "/api/messages?before=2"
check "before=2" eval 'expect 200 && has "\"id\":1" &&
    ! grep -q "\"id\":2" "$OUT"'
for q in limit=0 limit=101 limit=abc before=x before=-1; do
	req GET "/api/messages?$q"
	check "bad query $q 400" expect 400
done
req PUT /api/messages
check "PUT 405 Allow" eval 'expect 405 && has "^Allow: GET, HEAD, POST"'
req DELETE /api/messages/1
check "DELETE one 405" expect 405
req GET /api/nothing
check "unknown route 404" expect 404
req GET /api/health "" /dev/null CONTENT_LENGTH=abc
check "CONTENT_LENGTH=abc 400" eval 'expect 400 && has "bad CONTENT_LENGTH"'

n64=$(printf '%064d' 0 | tr 0 n)
n65=$(printf '%065d' 0 | tr 0 n)
t1000=$($PY -c 'print("é" * 1000, end="")')
t1001=$(printf '%01001d' 0 | tr 0 t)
while IFS='|' read -r want ct payload; do
	[ -n "$want" ] || continue
	printf '%b' "$payload" >"$T/body"
	req POST /api/messages "$ct" "$T/body"
	check "post $want: $(echo "$payload" | cut -c1-50)" eval \
	    'expect $want && { [ $want = 201 ] || has "\"error\":"; }'
done <<E
400|application/json|{"name":
400|application/json|[]
400|application/json|
400|application/json|{"name":"a","text":"\\xff"}
422|application/json|{"name":1,"text":"x"}
422|application/json|{"name":"","text":"x"}
422|application/json|{"name":"   ","text":"x"}
422|application/json|{"name":"a","text":" \\\\n\\\\t "}
422|application/json|{"text":"x"}
422|application/json|{"name":"x"}
422|application/json|{"name":"$n65","text":"x"}
201|application/json|{"name":"$n64","text":"x"}
201|application/json|{"name":"u","text":"$t1000"}
422|application/json|{"name":"u","text":"$t1001"}
422|application/json|{"name":"a\\\\u0001b","text":"x"}
400|application/x-www-form-urlencoded|name=a&text=%G1
400|application/x-www-form-urlencoded|name=a&text=%4
422|application/x-www-form-urlencoded|name=a&text=%FF%FE
422|application/x-www-form-urlencoded|name=a&text=%C0%AF
422|application/x-www-form-urlencoded|name=%ED%A0%80&text=x
422|application/x-www-form-urlencoded|name=a
422|application/x-www-form-urlencoded|
415|text/plain|name=a&text=b
E
mariadb_sql 'SELECT COUNT(*) FROM gb.messages' >"$OUT"
check "only valid posts stored (4)" eval '[ "$(cat "$OUT")" = 4 ]'

# --- CGI
req GET "/cgi-bin/hello.pl/extra?x=1"
check "perl cgi" eval 'expect 200 && has "Hello from Perl" &&
    has "path info: /extra" && has "query: x=1"'
req GET "/cgi-bin/info.php?a=42"
check "php-cgi" eval 'expect 200 && has "php ok GET 42" && has "^X-Php: yes"'
req GET /cgi-bin/env.sh "" /dev/null HTTP_PROXY=http://evil HTTP_X_A=1
check "clean CGI environment" eval 'expect 200 && has "^HTTP_X_A=1" &&
    has "^GATEWAY_INTERFACE=CGI/1.1" && has "^SCRIPT_NAME=/cgi-bin/env.sh" &&
    has "^REDIRECT_STATUS=200" && ! grep -q "HTTP_PROXY\|APPD_SECRET" "$OUT"'
# (3 is ls's directory, 10 the shell's script)
check "CGI gets only fds 0, 1, 2 (and its own)" eval 'grep "^fds:" "$OUT";
    [ "$(sed -n "s/^fds: //p" "$OUT" | tr " " "\n" | grep . |
    grep -vx "[0-3]\|10" | wc -l)" = 0 ]'
req GET /cgi-bin/status.sh
check "CGI Status: 404" eval 'expect 404 && has gone'
req GET /cgi-bin/location.sh
check "CGI Location 302" eval 'expect 302 && has "^Location: /elsewhere"'
req GET /cgi-bin/bad.sh
check "bad CGI output 502" expect 502
req GET /cgi-bin/noexec.sh
check "not executable 404" expect 404
req GET /cgi-bin/../appd.conf
check "dot-dot 404" expect 404
head -c 10485760 /dev/urandom >"$T/10m"
want=$(md5sum <"$T/10m" | cut -d' ' -f1)
req POST /cgi-bin/count.py application/octet-stream "$T/10m"
check "10 MB body to a Python CGI" eval 'expect 200 && has "10485760 $want"'
req POST /cgi-bin/hello.pl application/octet-stream "$T/10m"
check "10 MB body to Perl" eval 'expect 200 && has "body bytes: 10485760"'
req GET /cgi-bin/big.sh
check "1.5 MB CGI output" eval 'expect 200 && [ $(wc -c <"$OUT") -gt 1500000 ]'
req GET /cgi-bin/huge.sh
check "output over max_output (2m) is cut" eval 'expect 200 &&
    [ $(wc -c <"$OUT") -le 2200000 ] && grep -q "huge.sh: output over max_output" "$T/appd.log"'
start=$(date +%s)
req GET /cgi-bin/sleep.sh
check "CGI timeout 504 in ~2 s" eval 'expect 504 &&
    [ $(($(date +%s) - start)) -le 6 ]'
check "no script left behind" eval '! pgrep -f "$T/cgi/sleep.sh" >/dev/null'

# --- protocol details with fcgi.py: kept connections, GET_VALUES, idle
$PY - "$SOCK" "$SRCDIR/tests/appd" >"$OUT" 2>&1 <<'P'
import struct, sys, time
sys.path.insert(0, sys.argv[2])
import fcgi
sock = sys.argv[1]
c = fcgi.Conn(sock)
for i in range(50):
    proto, out, _ = c.request("GET", "/api/health", keep=True)
    assert proto == 0 and b'"db":"ok"' in out, (i, proto, out)
print("keep ok")
# GET_VALUES on the same connection does not end it
c.s.sendall(fcgi.record(fcgi.GET_VALUES, 0, fcgi.pairs(
    {"FCGI_MAX_CONNS": "", "FCGI_MPXS_CONNS": ""})))
r = fcgi.read_record(c.s, c.buf)
assert r[0] == fcgi.GET_VALUES_RESULT and b"FCGI_MPXS_CONNS0" in r[2], r
c.buf = r[3]
# unknown record type -> UNKNOWN_TYPE
c.s.sendall(fcgi.record(42, 0, b""))
r = fcgi.read_record(c.s, c.buf)
assert r[0] == fcgi.UNKNOWN and r[2][0] == 42, r
c.buf = r[3]
proto, out, _ = c.request("GET", "/api/health", keep=True)
assert proto == 0, proto
print("mgmt ok")
# a kept connection left idle on each worker does not block others
idle = [fcgi.Conn(sock) for _ in range(4)]
for d in idle:
    d.request("GET", "/api/health", keep=True)
t = time.time()
for i in range(20):
    e = fcgi.Conn(sock, timeout=5)
    proto, out, _ = e.request("GET", "/api/health")
    assert proto == 0, proto
    e.close()
assert time.time() - t < 5
print("idle ok")
# records split byte by byte still make a request
e = fcgi.Conn(sock)
p = fcgi.params_for("GET", "/api/health")
msg = fcgi.record(1, 1, struct.pack(">HB5x", 1, 0)) + \
    fcgi.stream(4, 1, fcgi.pairs(p)) + fcgi.stream(5, 1, b"")
for b in msg:
    e.s.sendall(bytes([b]))
proto, out, _ = e.read_response()
assert proto == 0 and b'"db":"ok"' in out
print("split ok")
# unknown role
e = fcgi.Conn(sock)
e.s.sendall(fcgi.record(1, 7, struct.pack(">HB5x", 3, 0)))
r = fcgi.read_record(e.s, b"")
assert r[0] == fcgi.END and r[1] == 7 and r[2][4] == 3, r
print("role ok")
# ABORT_REQUEST in the middle of a body: the request ends with END_REQUEST
# and the connection goes on
e = fcgi.Conn(sock, timeout=10)
p = fcgi.params_for("POST", "/api/messages", 100,
                    {"CONTENT_TYPE": "application/json"})
e.s.sendall(fcgi.record(1, 3, struct.pack(">HB5x", 1, 1)) +
            fcgi.stream(4, 3, fcgi.pairs(p)) + fcgi.record(5, 3, b'{"name"'))
time.sleep(0.2)
e.s.sendall(fcgi.record(fcgi.ABORT, 3))
while True:
    r = fcgi.read_record(e.s, e.buf)
    assert r is not None, "closed instead of END_REQUEST"
    e.buf = r[3]
    if r[0] == fcgi.END:
        assert r[1] == 3, r
        break
proto, out, _ = e.request("GET", "/api/health", keep=True)
assert proto == 0 and b'"db":"ok"' in out, (proto, out)
print("abort ok")
# a worker that starts a CGI script hands its other idle kept connections
# over: their requests do not wait behind the script (sleep.sh, 2 s)
import threading
conns = [fcgi.Conn(sock, timeout=10) for _ in range(6)]
for k in conns:
    k.request("GET", "/api/health", keep=True)
slow = threading.Thread(target=lambda: conns[0].request(
    "GET", "/cgi-bin/sleep.sh", keep=True))
slow.start()
time.sleep(0.5)
worst = 0
for k in conns[1:]:
    t = time.time()
    proto, out, _ = k.request("GET", "/api/health", keep=True)
    assert proto == 0 and b'"db":"ok"' in out, (proto, out)
    worst = max(worst, time.time() - t)
slow.join()
assert worst < 1.0, worst
print("shed ok %.3f" % worst)
P
check "keep-conn, GET_VALUES, UNKNOWN_TYPE, idle conns, split, role, abort, shed" \
    eval 'cat "$OUT"; grep -q "shed ok" "$OUT"'

# a CONTENT_LENGTH that is not a plain number is a 400 that still ends
# with END_REQUEST, on a connection that goes on; an empty one is no body
$PY - "$SOCK" "$SRCDIR/tests/appd" >"$OUT" 2>&1 <<'P'
import sys
sys.path.insert(0, sys.argv[2])
import fcgi
c = fcgi.Conn(sys.argv[1], timeout=10)
for bad in ("abc", "-1", "+5", " 5", "5x", "0x10", "99999999999999999999",
            "-99999999999999999999"):
    for m, u in (("POST", "/api/messages"), ("GET", "/appd-status"),
                 ("POST", "/cgi-bin/count.py")):
        proto, out, _ = c.request(m, u, b'{"name":"x","text":"y"}',
                                  {"CONTENT_LENGTH": bad,
                                   "CONTENT_TYPE": "application/json"},
                                  keep=True)
        st = fcgi.split_response(out)[0]
        assert proto == 0 and st == 400, (bad, u, proto, out)
proto, out, _ = c.request("GET", "/api/health", extra={"CONTENT_LENGTH": ""},
                          keep=True)
assert proto == 0 and b'"db":"ok"' in out, (proto, out)
proto, out, _ = c.request("POST", "/cgi-bin/count.py", b"abc",
                          {"CONTENT_LENGTH": "3"}, keep=True)
assert proto == 0 and out.endswith(b"\n3 900150983cd24fb0d6963f7d28e17f72\n"), \
    out
print("content-length ok")
P
check "bad CONTENT_LENGTH 400 with END_REQUEST, connection kept" \
    eval 'cat "$OUT"; grep -q "content-length ok" "$OUT"'
mariadb_sql 'SELECT COUNT(*) FROM gb.messages' >"$OUT"
check "no message stored by a bad CONTENT_LENGTH (still 4)" \
    eval '[ "$(cat "$OUT")" = 4 ]'

check "worker stderr in the log with pid" grep -q \
    "worker [0-9]*: cgi .*sleep.sh: timed out" "$T/appd.log"

# --- the example module of foobar-app(3), built from the man page and
# switched to with SIGHUP (new workers load it; no reload in place)
sed -n '/^\/\* hello.c/,/^\.RE/p' "$SRCDIR/appd/foobar-app.3" | sed '$d' |
    sed 's/\\e/\\/g; s/\\-/-/g' >"$T/hello.c"
check "man page example compiles" ${CC:-cc} -Wall -Werror -shared -fPIC \
    -I"$SRCDIR/include" -o "$T/hello.so" "$T/hello.c"
old=$(worker_pids)
sed -i "s|^module = .*|module = $T/hello.so|" "$T/appd.conf"
kill -HUP "$APPD_PID"
i=0
while ! grep -q "reload done" "$T/appd.log" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
req GET "/hi?you"
check "SIGHUP switched to the example module" eval 'expect 200 &&
    has "hello you from /hi"'
req POST /hi
check "example module 405" eval 'expect 405 && has "^Allow: GET"'
check "old workers gone after reload" eval '[ -z "$(for p in $old; do
    kill -0 $p 2>/dev/null && echo $p; done)" ]'
finish
