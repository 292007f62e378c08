#!/bin/sh
# bench/webd-fastcgi.sh - foobar-webd against Debian's nginx as the FastCGI
# front of the same backends: foobar-appd (its status page, a cheap
# answer, so the front is what is measured; backend connections kept
# alive on both sides) and php-fpm (a PHP echo; no kept connections, as
# php-fpm workers stay bound to them). wrk -t2 -c64, interleaved rounds,
# medians. Writes its section of bench/RESULTS.md. Target: >= 1.0x.
# usage: bench/webd-fastcgi.sh [O]   Env: ROUNDS (3), DURATION (10s).
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
O=${1:-build}
BIN=${BIN:-$(cd "$O" && pwd)/bin}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
APPS=$(cd "$O" && pwd)/lib/apps
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
FPM=$(command -v php-fpm8.2 || command -v php-fpm || echo /usr/sbin/php-fpm8.2)
for p in "$BIN/foobar-webd" "$BIN/foobar-appd" "$APPS/guestbook.so"; do
	[ -e "$p" ] || { echo "no $p; run make first" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/webd-fbench.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 0.5
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wport=$(freeport)
nport=$(freeport)
mkdir -p "$tmp/root" "$tmp/nginx"
echo '<?php echo "hello\n";' >"$tmp/root/echo.php"
user=$(id -un)

cat >"$tmp/appd.conf" <<CONF
[server]
listen = unix:$tmp/appd.sock
workers = 4
status_path = /appd-status
[app]
module = $APPS/guestbook.so
[database]
option_file = $tmp/db.cnf
group = foobar
CONF
printf '[foobar]\nsocket = %s/no-mysql.sock\n' "$tmp" >"$tmp/db.cnf"
cat >"$tmp/fpm.conf" <<CONF
[global]
error_log = $tmp/fpm.log
daemonize = no
[www]
user = $user
listen = $tmp/fpm.sock
listen.backlog = 4096
pm = static
pm.max_children = 4
CONF
cat >"$tmp/webd.conf" <<CONF
[server]
listen = 127.0.0.1:$wport
root = $tmp/root
access_log = off
[location /appd-status]
fastcgi_pass = unix:$tmp/appd.sock
fastcgi_keepalive = 64
[location /echo.php]
fastcgi_pass = unix:$tmp/fpm.sock
fastcgi_keep_conn = no
CONF
nuser=
[ "$(id -u)" = 0 ] && nuser="user root;"
cat >"$tmp/nginx/nginx.conf" <<CONF
$nuser
worker_processes auto;
events { worker_connections 4096; }
http {
	access_log off;
	upstream appd { server unix:$tmp/appd.sock; keepalive 64; }
	server {
		listen 127.0.0.1:$nport;
		root $tmp/root;
		location /appd-status {
			fastcgi_pass appd;
			fastcgi_keep_conn on;
			include /etc/nginx/fastcgi_params;
		}
		location /echo.php {
			fastcgi_pass unix:$tmp/fpm.sock;
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
		}
	}
}
CONF

"$BIN/foobar-appd" -c "$tmp/appd.conf" 2>"$tmp/appd.log" &
pids="$pids $!"
"$FPM" -R -n -y "$tmp/fpm.conf" -F >"$tmp/fpm.out" 2>&1 &
pids="$pids $!"
"$BIN/foobar-webd" -c "$tmp/webd.conf" 2>"$tmp/webd.log" &
pids="$pids $!"
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
    -g "daemon off; pid $tmp/nginx/pid; error_log stderr;" \
    2>"$tmp/nginx.log" &
pids="$pids $!"
for _ in $(seq 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$wport/appd-status" &&
	    curl -sf -o /dev/null "http://127.0.0.1:$nport/appd-status" &&
	    curl -sf -o /dev/null "http://127.0.0.1:$wport/echo.php" &&
	    curl -sf -o /dev/null "http://127.0.0.1:$nport/echo.php" && break
	sleep 0.1
done

run() {
	wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$2/$3" \
	    >"$tmp/wrk.out" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out")
	p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v);
	    sub(/^[0-9.]+/, "", u); if (u == "us") v /= 1000;
	    else if (u == "s") v *= 1000; print v }' "$tmp/wrk.out")
	errs=$(awk '/Non-2xx|Socket errors/' "$tmp/wrk.out" | tr '\n' ' ')
	echo "$1 $3 ${rps:-0} ${p99:-0}" >>"$tmp/results"
	printf '%-6s %-12s %10s req/s  p99 %s ms %s\n' "$1" "$3" "$rps" \
	    "$p99" "$errs"
}
for path in appd-status echo.php; do
	r=1
	while [ $r -le "$ROUNDS" ]; do
		if [ $((r % 2)) = 1 ]; then
			run nginx "$nport" $path
			run webd "$wport" $path
		else
			run webd "$wport" $path
			run nginx "$nport" $path
		fi
		r=$((r + 1))
	done
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m() { awk -v s="$1" -v f="$2" -v c="$3" '$1 == s && $2 == f { print $c }' \
    "$tmp/results" | median; }
table=$tmp/table
{
	echo "| backend (path) | nginx req/s | webd req/s | webd/nginx | nginx p99 ms | webd p99 ms |"
	echo "|---|---|---|---|---|---|"
	for path in appd-status echo.php; do
		nr=$(m nginx $path 3) wr=$(m webd $path 3)
		np=$(m nginx $path 4) wp=$(m webd $path 4)
		ratio=$(awk -v a="$wr" -v b="$nr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		name="foobar-appd (/appd-status, kept connections)"
		[ $path = echo.php ] && name="php-fpm (/echo.php, new connection per request)"
		echo "| $name | $nr | $wr | ${ratio}x | $np | $wp |"
	done
} >"$table"
cat "$table"

results=$SRCDIR/bench/RESULTS.md
[ -f "$results" ] || printf '# Benchmark results\n' >"$results"
python3 - "$results" "$table" "$ROUNDS" "$DURATION" <<'PY'
import datetime, os, platform, re, sys
path, table, rounds, duration = sys.argv[1:5]
nginx = os.popen("nginx -v 2>&1").read().strip()
body = open(table).read()
section = f"""<!-- webd-fastcgi begin -->
## webd: FastCGI front (bench/webd-fastcgi.sh)

{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, same machine; {nginx}
(`worker_processes auto`, `upstream {{ keepalive 64; }}` with
`fastcgi_keep_conn on` for appd) against webd (`fastcgi_keepalive = 64`
for appd, `fastcgi_keep_conn = no` for php-fpm), in front of the same
foobar-appd (4 workers) and php-fpm (`pm = static`, 4 children). `wrk -t2
-c64 -d{duration} --latency`, {rounds} interleaved rounds, medians; the 2
cores are shared with the backends and with other jobs.

{body}
<!-- webd-fastcgi end -->
"""
text = open(path).read()
pat = re.compile(r"<!-- webd-fastcgi begin -->.*?<!-- webd-fastcgi end -->\n?", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
echo "written to $results"
