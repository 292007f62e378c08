#!/bin/sh
# tests/appd/appd-slowbody.sh - slow request bodies never tie up appd.
# MariaDB + foobar-appd (6 workers) behind foobar-webd, then behind
# Debian's nginx as the reference, each under the same test
# (tests/appd/slowbody.py): 64 clients from 127.0.0.2-127.0.0.9 trickle a
# POST body at 2 bytes/s while a steady GET/POST load measures /api/.
# webd reads every body whole before it contacts appd, so: no failed
# request in the load, every slow client gets 408 (the test config's
# body_min_rate is 1k/s after 2 s), appd's busy workers never reach their
# total. Also: a 10 MB chunked body over max_body gets a 413 answer, a
# body past body_buffer_size reaches appd whole (from the temporary file),
# a slow body never reaches appd at all. Last, nginx with
# fastcgi_request_buffering off streams the trickling bodies to appd, whose
# workers take a request only once its body is all there: no failure and
# no busy worker either.
. "$(dirname "$0")/lib.sh"

WORKERS=6
db_setup
appd_conf workers=$WORKERS
appd_start $WORKERS || exit 1
. "$(dirname "$0")/http.sh"
mkdir -p "$T/body"
cat >"$T/webd.conf" <<E
[server]
listen = 127.0.0.1:$PORT
root = $SRCDIR/webd/www
access_log = $T/access.log
max_body = 1m
body_buffer_size = 4k
body_temp_path = $T/body
body_timeout = 6s
body_min_rate = 1k
body_rate_grace = 2s
[location /api/]
fastcgi_pass = unix:$SOCK
E
front_start "$T/webd.log" /api/health "$BIN/foobar-webd" -c "$T/webd.conf"

# accepted: appd's "accepted requests" (this status request included).
accepted() {
	$FCGI "$SOCK" GET /appd-status | sed -n 's/^accepted requests: //p'
}

# --- bodies: whole, spilled, too large, too slow
text=$(printf '%0900d' 0 | tr 0 x)
printf '{"name":"big","text":"%s"}%20000s\n' "$text" "" >"$T/big.json"
ST=$(curl -s -o "$OUT" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$T/big.json" "$URL/api/messages")
check "24 KB body (past body_buffer_size 4k) reaches appd whole" \
    eval 'expect 201 && [ "$(mariadb_sql "SELECT LENGTH(text) FROM
    gb.messages WHERE name = '"'big'"'")" = 900 ]'
ST=$(curl -s -o "$OUT" -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/json' --data-binary @"$T/big.json" \
    "$URL/api/messages")
check "the same body chunked: 201" expect 201
check "no temporary file left" eval '[ -z "$(ls -A "$T/body")" ]'
head -c 10000000 /dev/zero >"$T/10m"
ST=$(curl -s -o "$OUT" -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/json' --data-binary @"$T/10m" \
    "$URL/api/messages")
rc=$?
check "10 MB chunked body over max_body: a 413 answer (curl rc $rc)" \
    eval 'expect 413 && [ $rc = 0 ]'
before=$(accepted)
printf '{"name":"slow","text":"%s"}' "$text" >"$T/slow.json"
ST=$(curl -s -o "$OUT" -D "$T/head" -w '%{http_code}' --limit-rate 300 \
    -H 'Content-Type: application/json' --data-binary @"$T/slow.json" \
    "$URL/api/messages")
check "a body at 300 bytes/s: 408 + Connection: close" eval 'expect 408 &&
    grep -qi "^Connection: close" "$T/head"'
after=$(accepted)
check "appd never saw it ($before -> $after: the status requests only)" \
    eval '[ $((after - before)) = 1 ]'
check "logged as 408" eval 'grep -q "\"POST /api/messages HTTP/1.1\" 408" \
    "$T/access.log"'

# --- 64 slow clients + steady load, webd then nginx
run_slow() {
	$PY "$SRCDIR/tests/appd/slowbody.py" "$1" "$SOCK" 10 64 2 \
	    >"$T/slow-$2.json" 2>"$T/slow-$2.err"
	echo "$2: $(cat "$T/slow-$2.json")"
}
# field FILE KEY: a value of the JSON summary
field() {
	$PY -c 'import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]]
print(json.dumps(v, sort_keys=True) if isinstance(v, dict) else v)' "$1" "$2"
}
run_slow "$PORT" webd
J=$T/slow-webd.json
check "webd: 0 failed normal requests ($(field "$J" ok) ok)" eval \
    '[ "$(field "$J" failed)" = 0 ] && [ "$(field "$J" ok)" -gt 30 ]'
check "webd: every slow client got 408" eval \
    '[ "$(field "$J" slow)" = "{\"408\": 64}" ]'
check "webd: appd busy $(field "$J" max_active) of $(field "$J" total) at most" \
    eval '[ "$(field "$J" max_active)" -lt "$(field "$J" total)" ] &&
    [ "$(field "$J" sample_failures)" = 0 ] &&
    [ "$(field "$J" samples)" -gt 10 ]'

NPORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
nginx_start "$NPORT" 1m
run_slow "$NPORT" nginx
J=$T/slow-nginx.json
check "nginx (reference): 0 failed normal requests ($(field "$J" ok) ok)" \
    eval '[ "$(field "$J" failed)" = 0 ] && [ "$(field "$J" ok)" -gt 30 ]'
check "nginx: appd busy $(field "$J" max_active) of $(field "$J" total) at most" \
    eval '[ "$(field "$J" max_active)" -lt "$(field "$J" total)" ] &&
    [ "$(field "$J" sample_failures)" = 0 ]'
echo "nginx's slow clients (its client_body_timeout is between reads, so" \
    "a trickle is never cut; none means still sending): $(field "$J" slow)"

# --- appd's own defence, for a front that streams bodies (nginx with
# fastcgi_request_buffering off): a worker takes a request only once its
# body is all there, so the trickling bodies hold connections, not workers
kill "${BGPIDS##* }"
wait "${BGPIDS##* }"
NPORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
nginx_start "$NPORT" 1m "fastcgi_request_buffering off;"
run_slow "$NPORT" nginx-streaming
J=$T/slow-nginx-streaming.json
check "nginx streaming bodies: 0 failed normal requests ($(field "$J" ok) ok)" \
    eval '[ "$(field "$J" failed)" = 0 ] && [ "$(field "$J" ok)" -gt 30 ]'
busy="$(field "$J" max_active) of $(field "$J" total)"
check "nginx streaming bodies: appd busy $busy at most" eval \
    '[ "$(field "$J" max_active)" -lt "$(field "$J" total)" ] &&
    [ "$(field "$J" sample_failures)" = 0 ]'
finish
