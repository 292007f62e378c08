#!/bin/bash
# Integration test of foobar-webd's FastCGI forwarding: a private php-fpm
# (two pools on Unix sockets in a temporary folder) and a misbehaving
# Python backend behind webd on 127.0.0.1.
set -u
BIN=${BIN:-$(pwd)/build/bin}
SRCDIR=${SRCDIR:-$(pwd)}
WEBD=$BIN/foobar-webd
FPM=$(command -v php-fpm8.2 || command -v php-fpm || ls /usr/sbin/php-fpm* 2>/dev/null | head -n 1)

tmp=$(mktemp -d /tmp/webd-fcgi.XXXXXX)
pid= fpid= bpids=
pass=0 fail=0
cleanup() {
	for p in $pid $fpid $bpids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
not() { ! "$@"; }
[ -x "$FPM" ] || { echo "php-fpm is missing"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
root=$tmp/root
mkdir -p "$root/app"
echo static >"$root/index.html"
cat >"$root/app/env.php" <<'EOF'
<?php
header("X-From: php");
foreach (["REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME", "PATH_INFO",
    "SCRIPT_FILENAME", "DOCUMENT_ROOT", "QUERY_STRING", "CONTENT_TYPE",
    "CONTENT_LENGTH", "REMOTE_ADDR", "SERVER_NAME", "SERVER_PORT",
    "SERVER_PROTOCOL", "GATEWAY_INTERFACE", "HTTP_X_CUSTOM", "HTTP_PROXY",
    "HTTP_HOST"] as $k)
	echo $k, "=", $_SERVER[$k] ?? "(unset)", "\n";
echo "POOL=", getenv("POOL"), "\n";
EOF
cat >"$root/app/body.php" <<'EOF'
<?php
$n = 0; $h = hash_init("md5"); $f = fopen("php://input", "r");
while (!feof($f)) { $d = fread($f, 65536); $n += strlen($d); hash_update($h, $d); }
echo $n, " ", hash_final($h), "\n";
EOF
cat >"$root/app/status.php" <<'EOF'
<?php http_response_code(404); header("X-Reason: gone"); echo "no such thing\n";
EOF
cat >"$root/app/big.php" <<'EOF'
<?php $s = str_repeat("0123456789abcdef", 65536);
for ($i = 0; $i < 100; $i++) echo $s; // 100 MiB
EOF
cat >"$root/app/nap.php" <<'EOF'
<?php usleep(300000); echo "ok\n";
EOF
cat >"$root/app/slow.php" <<'EOF'
<?php sleep(4); echo "late\n";
EOF
cat >"$tmp/fpm.conf" <<EOF
[global]
error_log = $tmp/fpm.log
daemonize = no
[a]
user = $(id -un)
group = $(id -gn)
listen = $tmp/a.sock
pm = static
pm.max_children = 3
pm.status_path = /app/fpm-status
env[POOL] = a
php_admin_value[post_max_size] = 64M
[b]
user = $(id -un)
group = $(id -gn)
listen = $tmp/b.sock
pm = static
pm.max_children = 2
env[POOL] = b
php_admin_value[post_max_size] = 64M
EOF
start_fpm() {
	"$FPM" -R -n -y "$tmp/fpm.conf" -F >>"$tmp/fpm.out" 2>&1 &
	fpid=$!
	for _ in $(seq 50); do
		[ -S "$tmp/a.sock" ] && [ -S "$tmp/b.sock" ] && return 0
		sleep 0.1
	done
	return 1
}
start_fpm || { echo "php-fpm did not start"; cat "$tmp/fpm.out"; exit 1; }
for m in malformed overloaded close slow noheader ok; do
	python3 "$SRCDIR/tests/webd/fcgi_backend.py" "$tmp/$m.sock" $m &
	bpids="$bpids $!"
done

cat >"$tmp/webd.conf" <<EOF
[server]
listen = 127.0.0.1:$port
root = $root
access_log = $tmp/access.log
max_body = 20m

[location /app/]
fastcgi_pass = unix:$tmp/a.sock
fastcgi_read_timeout = 2s
fastcgi_keepalive = 2

[location /rr/]
fastcgi_pass = unix:$tmp/a.sock
fastcgi_pass = unix:$tmp/b.sock
fastcgi_keep_conn = no

[location /failover/]
fastcgi_pass = unix:$tmp/missing.sock
fastcgi_pass = unix:$tmp/ok.sock

[location /down/]
fastcgi_pass = unix:$tmp/missing.sock
EOF
for m in malformed overloaded close slow noheader ok; do
	printf '[location /%s/]\nfastcgi_pass = unix:%s/%s.sock\nfastcgi_read_timeout = 1s\n' \
	    $m "$tmp" $m >>"$tmp/webd.conf"
done
for _ in $(seq 50); do [ -S "$tmp/ok.sock" ] && [ -S "$tmp/noheader.sock" ] && break; sleep 0.1; done
check "-t accepts fastcgi locations" "$WEBD" -t -c "$tmp/webd.conf"
"$WEBD" -c "$tmp/webd.conf" 2>"$tmp/webd.log" &
pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "$url/" && break; sleep 0.1; done

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
hdr() { curl -s -D - -o /dev/null "$@" | tr -d '\r'; }

# the CGI variables
out=$(curl -s -H 'Proxy: http://evil:1' -H 'X-Custom: yes' "$url/app/env.php/extra/info?a=1&b=%20")
v() { sed -n "s/^$1=//p" <<<"$out"; }
check "REQUEST_METHOD" [ "$(v REQUEST_METHOD)" = GET ]
check "REQUEST_URI is the raw target" [ "$(v REQUEST_URI)" = "/app/env.php/extra/info?a=1&b=%20" ]
check "SCRIPT_NAME" [ "$(v SCRIPT_NAME)" = /app/env.php ]
check "PATH_INFO" [ "$(v PATH_INFO)" = /extra/info ]
check "SCRIPT_FILENAME" [ "$(v SCRIPT_FILENAME)" = "$(realpath "$root")/app/env.php" ]
check "DOCUMENT_ROOT" [ "$(v DOCUMENT_ROOT)" = "$(realpath "$root")" ]
check "QUERY_STRING" [ "$(v QUERY_STRING)" = "a=1&b=%20" ]
check "REMOTE_ADDR" [ "$(v REMOTE_ADDR)" = 127.0.0.1 ]
check "SERVER_NAME" [ "$(v SERVER_NAME)" = 127.0.0.1 ]
check "SERVER_PORT" [ "$(v SERVER_PORT)" = "$port" ]
check "SERVER_PROTOCOL" [ "$(v SERVER_PROTOCOL)" = HTTP/1.1 ]
check "GATEWAY_INTERFACE" [ "$(v GATEWAY_INTERFACE)" = CGI/1.1 ]
check "HTTP_* headers" [ "$(v HTTP_X_CUSTOM)" = yes ]
check "HTTP_PROXY never set" [ "$(v HTTP_PROXY)" = "(unset)" ]
out=$(curl -s -H 'X-Custom: one' -H 'X-Custom: two' -H 'X_Custom: spoof' "$url/app/env.php")
check "repeated header fields joined" [ "$(v HTTP_X_CUSTOM)" = "one, two" ]
check "backend headers honoured" grep -q '^X-From: php$' <<<"$(hdr "$url/app/env.php")"
check "backend Status honoured" [ "$(code "$url/app/status.php")" = 404 ]
check "headers with a backend Status" grep -q '^X-Reason: gone$' <<<"$(hdr "$url/app/status.php")"
for m in PUT DELETE PATCH OPTIONS; do
	check "method $m forwarded" grep -q "^REQUEST_METHOD=$m$" <<<"$(curl -s -X $m "$url/app/env.php")"
done
check "HEAD forwarded" [ "$(code -I "$url/app/env.php")" = 200 ]
check "static files still static" [ "$(curl -s "$url/")" = static ]

# request bodies: Content-Length and chunked, read whole, then forwarded
out=$(curl -s -H 'Content-Type: application/x-www-form-urlencoded' -d 'a=b' "$url/app/env.php")
check "CONTENT_TYPE" grep -q '^CONTENT_TYPE=application/x-www-form-urlencoded$' <<<"$out"
check "CONTENT_LENGTH" grep -q '^CONTENT_LENGTH=3$' <<<"$out"
out=$(curl -s -H 'Transfer-Encoding: chunked' -d 'a=b' "$url/app/env.php")
check "CONTENT_LENGTH of a chunked body" grep -q '^CONTENT_LENGTH=3$' <<<"$out"
head -c 10000000 /dev/urandom >"$tmp/10m"
sum=$(md5sum <"$tmp/10m" | cut -d' ' -f1)
check "10 MB body (Content-Length)" [ "$(curl -s -H "Content-Type: application/octet-stream" --data-binary @"$tmp/10m" "$url/app/body.php")" = "10000000 $sum" ]
check "10 MB body (chunked)" [ "$(curl -s -H "Content-Type: application/octet-stream" -H "Transfer-Encoding: chunked" --data-binary @"$tmp/10m" "$url/app/body.php")" = "10000000 $sum" ]
head -c 21000000 /dev/zero >"$tmp/21m"
check "body over max_body: 413" [ "$(code --data-binary @"$tmp/21m" "$url/app/body.php")" = 413 ]
check "chunked body over max_body: 413, not a reset" [ "$(code -H "Transfer-Encoding: chunked" --data-binary @"$tmp/21m" "$url/app/body.php")" = 413 ]

# a 100 MiB response streams through bounded buffers
check "100 MiB response" [ "$(curl -s "$url/app/big.php" | wc -c)" = 104857600 ]
hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/$pid/status)
check "peak memory stays small while streaming ($hwm kB)" [ "$hwm" -lt 60000 ]

# keep-alive to the backend: few connections for many requests
for _ in $(seq 20); do curl -s -o /dev/null "$url/app/status.php"; done
acc=$(curl -s "$url/app/fpm-status" | sed -n 's/^accepted conn: *//p')
conns=$(ss -x 2>/dev/null | grep -c "$tmp/a.sock")
check "backend connections reused (FCGI_KEEP_CONN): $conns open" [ "$conns" -ge 1 -a "$conns" -le 8 ]
check "php-fpm status through webd ($acc accepted)" [ -n "$acc" ]
# fastcgi_keepalive counts for the whole server, not per thread: after 3
# requests at once, at most 2 connections stay (php-fpm's 3 children would
# all be bound to kept connections otherwise)
naps=
for _ in 1 2 3; do
	curl -s -m 5 -o /dev/null "$url/app/nap.php" &
	naps="$naps $!"
done
wait $naps
sleep 0.3
conns=$(ss -x 2>/dev/null | grep -c "$tmp/a.sock")
check "after 3 requests at once, fastcgi_keepalive = 2 connections kept ($conns)" [ "$conns" -le 2 ]

# round robin over two backends, failover past a dead one
# /rr/ maps to root/rr/: give it the script
mkdir -p "$root/rr"
cp "$root/app/env.php" "$root/rr/env.php"
pools=$(for _ in 1 2 3 4; do curl -s "$url/rr/env.php" | sed -n 's/^POOL=//p'; done | sort -u | tr -d '\n')
check "round robin uses both backends ($pools)" [ "$pools" = ab ]
check "failover past a dead backend" [ "$(code "$url/failover/x")" = 201 ]

# a restarted backend costs no request (dead pooled connection retried)
for _ in 1 2 3; do curl -s -o /dev/null "$url/app/status.php"; done
kill "$fpid"
wait "$fpid" 2>/dev/null
start_fpm
codes=$(for _ in 1 2 3 4 5; do code "$url/app/status.php"; echo; done | sort -u | tr -d '\n')
check "after a backend restart: no failed request ($codes)" [ "$codes" = 404 ]

# failures
check "backend down: 502" [ "$(code "$url/down/x")" = 502 ]
check "malformed backend: 502" [ "$(code "$url/malformed/x")" = 502 ]
check "backend closing early: 502" [ "$(code "$url/close/x")" = 502 ]
check "backend without a header: 502" [ "$(code "$url/noheader/x")" = 502 ]
check "overloaded backend: 503" [ "$(code "$url/overloaded/x")" = 503 ]
check "503 has Retry-After" grep -q '^Retry-After: ' <<<"$(hdr "$url/overloaded/x")"
start=$(date +%s%N)
c=$(code "$url/slow/x")
ms=$((($(date +%s%N) - start) / 1000000))
check "slow backend: 504 ($ms ms)" [ "$c" = 504 -a $ms -lt 3000 ]
check "slow php: 504 within fastcgi_read_timeout" [ "$(code "$url/app/slow.php")" = 504 ]
check "still serving after the faults" [ "$(curl -s "$url/")" = static ]
check "good backend after the faults" [ "$(code "$url/ok/x")" = 201 ]
# an answer that arrives whole (STDOUT and END_REQUEST in one read) goes out
# in one buffer with its length, also on a kept backend connection
h=$(curl -s -D - -o /dev/null "$url/ok/x" -o /dev/null "$url/ok/y" | tr -d '\r')
check "whole answers sent with Content-Length, not chunked" \
    [ "$(grep -c '^Content-Length: 5$' <<<"$h")" = 2 -a \
    "$(grep -ci '^Transfer-Encoding' <<<"$h")" = 0 ]
check "webd still running" kill -0 "$pid"
check "access log lines for forwarded requests" grep -q '"GET /app/status.php HTTP/1.1" 404 14 ' "$tmp/access.log"

kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "stops on SIGTERM" not kill -0 "$pid" 2>/dev/null
pid=
echo "webd fastcgi: $pass passed, $fail failed"
[ $fail -eq 0 ]
