#!/bin/sh
# bench/webd-static.sh - foobar-webd against Debian's nginx serving the same
# static files (1 KiB and 100 KiB) on 127.0.0.1: wrk -t2 -c64, interleaved
# rounds, medians of requests/s and p99 latency; then the resident memory
# of each with 1,000 idle keep-alive connections. Writes its section of
# bench/RESULTS.md. Targets: 1 KiB >= 1.2x nginx, 100 KiB >= 1.0x.
# usage: bench/webd-static.sh [O]   Env: ROUNDS (3), DURATION (10s),
# RESULTS (the file to update, bench/RESULTS.md).
. "$(dirname "$0")/lib/common.sh"
WEBD=$BIN/foobar-webd
[ -x "$WEBD" ] || { echo "no $WEBD; run make first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing" >&2; exit 1; }

bench_init webd-bench
wport=$(freeport)
nport=$(freeport)
mkdir -p "$tmp/root" "$tmp/nginx"
head -c 1024 /dev/urandom >"$tmp/root/1k.bin"
head -c 102400 /dev/urandom >"$tmp/root/100k.bin"

webd_conf </dev/null
nginx_conf <<CONF
	sendfile on;
	tcp_nopush on;
	open_file_cache max=1000;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$nport;
		root $tmp/root;
	}
CONF

start_webd
start_nginx
wait_urls 50 "http://127.0.0.1:$wport/1k.bin" "http://127.0.0.1:$nport/1k.bin"

run_rounds 9 1k.bin 100k.bin

idle_mem nginx "$nport" "$npid" idle
idle_mem webd "$wport" "$wpid" idle

table=$tmp/table
{
	echo "| file | nginx req/s | webd req/s | webd/nginx | nginx p99 ms | webd p99 ms | target |"
	echo "|---|---|---|---|---|---|---|"
	for f in 1k.bin 100k.bin; do
		nr=$(m nginx $f 3) wr=$(m webd $f 3)
		np=$(m nginx $f 4) wp=$(m webd $f 4)
		ratio=$(awk -v a="$wr" -v b="$nr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		target=1.0
		[ $f = 1k.bin ] && target=1.2
		echo "| $f | $nr | $wr | ${ratio}x | $np | $wp | >= ${target}x |"
	done
	echo
	echo "| memory | idle RSS kB | RSS kB with 1,000 idle keep-alive connections |"
	echo "|---|---|---|"
	awk '{ printf "| %s (all processes) | %s | %s |\n", $1, $2, $3 }' "$tmp/mem"
} >"$table"
cat "$table"

write_results webd-static <<'INTRO'
## webd: static files (bench/webd-static.sh)

{date} UTC; {cpus} CPUs ({cpu}),
kernel {kernel}; {nginx} with `sendfile on; open_file_cache
max=1000; access_log off; worker_processes auto`; webd with `access_log =
off`, `cache_valid = 60s` (as open_file_cache's default validity) and its
defaults (one thread per CPU, memory cache). `wrk -t2 -c64
-d{duration} --latency` on 127.0.0.1, {rounds} interleaved rounds, medians.
wrk, the servers and the other engineers' jobs share the same 2 cores, so
the figures are noisy.
INTRO
