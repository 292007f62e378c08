#!/bin/sh
# bench/webd-fastcgi.sh - foobar-webd against Debian's nginx as the FastCGI
# front of the same backends: foobar-appd (its status page, a cheap
# answer, so the front is what is measured; backend connections kept
# alive on both sides; also POSTed with a 1 KB body and with a 128 KB one,
# which both fronts read whole before they pass it on, the larger one
# through a temporary file) and php-fpm (a PHP echo; no kept connections,
# as php-fpm workers stay bound to them). wrk -t2 -c64, interleaved rounds,
# medians. Writes its section of bench/RESULTS.md. Target: >= 1.0x.
# usage: bench/webd-fastcgi.sh [O]   Env: ROUNDS (3), DURATION (10s),
# RESULTS (the file to update, bench/RESULTS.md).
. "$(dirname "$0")/lib/common.sh"
APPS=$(cd "$O" && pwd)/lib/apps
FPM=$(command -v php-fpm8.2 || command -v php-fpm || echo /usr/sbin/php-fpm8.2)
for p in "$BIN/foobar-webd" "$BIN/foobar-appd" "$APPS/guestbook.so"; do
	[ -e "$p" ] || { echo "no $p; run make first" >&2; exit 1; }
done

bench_init webd-fbench
wport=$(freeport)
nport=$(freeport)
mkdir -p "$tmp/root" "$tmp/nginx"
echo '<?php echo "hello\n";' >"$tmp/root/echo.php"
for kb in 1 128; do
	printf 'wrk.method = "POST"\nwrk.body = string.rep("x", %d)\n%s\n' \
	    $((kb * 1024)) \
	    'wrk.headers["Content-Type"] = "application/octet-stream"' \
	    >"$tmp/post${kb}k.lua"
done
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
nginx_conf <<CONF
	upstream appd { server unix:$tmp/appd.sock; keepalive 64; }
	server {
		listen 127.0.0.1:$nport;
		root $tmp/root;
		client_body_temp_path $tmp/nginx/body;
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
CONF

"$BIN/foobar-appd" -c "$tmp/appd.conf" 2>"$tmp/appd.log" &
pids="$pids $!"
"$FPM" -R -n -y "$tmp/fpm.conf" -F >"$tmp/fpm.out" 2>&1 &
pids="$pids $!"
start_webd
start_nginx
wait_urls 100 "http://127.0.0.1:$wport/appd-status" \
    "http://127.0.0.1:$nport/appd-status" "http://127.0.0.1:$wport/echo.php" \
    "http://127.0.0.1:$nport/echo.php"

run_rounds 24 appd-status appd-status#post1k appd-status#post128k echo.php

table=$tmp/table
{
	echo "| backend (path) | nginx req/s | webd req/s | webd/nginx | nginx p99 ms | webd p99 ms |"
	echo "|---|---|---|---|---|---|"
	for path in appd-status appd-status#post1k appd-status#post128k \
	    echo.php; do
		nr=$(m nginx $path 3) wr=$(m webd $path 3)
		np=$(m nginx $path 4) wp=$(m webd $path 4)
		ratio=$(awk -v a="$wr" -v b="$nr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		case $path in
		echo.php) name="php-fpm (/echo.php, new connection per request)" ;;
		*post1k) name="foobar-appd (POST /appd-status, 1 KB body)" ;;
		*post128k) name="foobar-appd (POST /appd-status, 128 KB body)" ;;
		*) name="foobar-appd (/appd-status, kept connections)" ;;
		esac
		echo "| $name | $nr | $wr | ${ratio}x | $np | $wp |"
	done
} >"$table"
cat "$table"

write_results webd-fastcgi <<'INTRO'
## webd: FastCGI front (bench/webd-fastcgi.sh)

{date} UTC, same machine; {nginx}
(`worker_processes auto`, `upstream {{ keepalive 64; }}` with
`fastcgi_keep_conn on` for appd) against webd (`fastcgi_keepalive = 64`
for appd, `fastcgi_keep_conn = no` for php-fpm), in front of the same
foobar-appd (4 workers) and php-fpm (`pm = static`, 4 children). `wrk -t2
-c64 -d{duration} --latency`, {rounds} interleaved rounds, medians; the 2
cores are shared with the backends and with other jobs.
INTRO
