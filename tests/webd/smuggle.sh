#!/bin/bash
# Differential request-smuggling test: the same raw requests to foobar-webd,
# Debian's nginx and HAProxy (HTTP mode), each in front of a recording
# backend (tests/webd/smuggle.py holds the corpus, the backends and the
# pass rule). The table of every case's answers goes to
# $LOGDIR/smuggle-table.txt (build/test-logs/ under make check).
set -u
BIN=${BIN:-$(pwd)/build/bin}
SRCDIR=${SRCDIR:-$(pwd)}
LOGDIR=${LOGDIR:-$(pwd)/build/test-logs}
WEBD=$BIN/foobar-webd

tmp=$(mktemp -d /tmp/webd-smuggle.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
command -v haproxy >/dev/null || { echo "haproxy is missing"; exit 1; }
command -v nginx >/dev/null || { echo "nginx is missing"; exit 1; }
mkdir -p "$LOGDIR" "$tmp/root" "$tmp/nginx"
echo static >"$tmp/root/index.html"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wport=$(free_port) nport=$(free_port) hport=$(free_port) bport=$(free_port)

cat >"$tmp/webd.conf" <<EOF
[server]
listen = 127.0.0.1:$wport
root = $tmp/root
access_log = $tmp/webd-access.log
max_body = 1k
header_timeout = 3s
keepalive_timeout = 1s

[location /app/]
fastcgi_pass = unix:$tmp/webd-rec.sock
EOF

user=""
[ "$(id -u)" = 0 ] && user="user root;"
cat >"$tmp/nginx/nginx.conf" <<EOF
$user
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log info;
events { worker_connections 512; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	proxy_temp_path $tmp/nginx/proxy;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	keepalive_timeout 1s;
	client_header_timeout 3s;
	client_body_timeout 3s;
	server {
		listen 127.0.0.1:$nport;
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_pass unix:$tmp/nginx-rec.sock;
		}
	}
}
EOF

cat >"$tmp/haproxy.cfg" <<EOF
global
	maxconn 512
defaults
	mode http
	timeout connect 3s
	timeout client 3s
	timeout server 3s
	timeout http-request 3s
	timeout http-keep-alive 1s
frontend front
	bind 127.0.0.1:$hport
	default_backend rec
backend rec
	server rec 127.0.0.1:$bport
EOF

"$WEBD" -c "$tmp/webd.conf" 2>"$tmp/webd.log" &
pids="$pids $!"
nginx -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" 2>"$tmp/nginx/out.log" &
pids="$pids $!"
haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
pids="$pids $!"

for p in $wport $nport $hport; do
	for _ in $(seq 100); do
		python3 -c "import socket; socket.create_connection(('127.0.0.1', $p), 1)" \
		    2>/dev/null && break
		sleep 0.1
	done
done

python3 "$SRCDIR/tests/webd/smuggle.py" "$wport" "$nport" "$hport" \
    "$tmp/webd-rec.sock" "$tmp/nginx-rec.sock" "$bport" \
    "$LOGDIR/smuggle-table.txt"
rc=$?
# every refusal logged once at notice level with its reason, no raw bytes
refusals=$(grep -c "request refused" "$tmp/webd.log")
echo "webd logged $refusals refusals; table: $LOGDIR/smuggle-table.txt"
if grep "request refused" "$tmp/webd.log" | grep -q "smuggled"; then
	echo "FAIL client bytes in the refusal log"
	rc=1
fi
exit $rc
