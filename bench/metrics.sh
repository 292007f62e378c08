#!/bin/sh
# bench/metrics.sh - what counting for /metrics costs, side by side in one
# run: the same build with [metrics] listen off and on (scraped once a
# second while wrk runs, as Prometheus would, a little more often than its
# default), for
#   static 1 KiB   webd serving a 1 KiB file from its cache
#   /api/health    webd -> appd (guestbook.so, 4 workers) on one private
#                  MariaDB, the metrics of both on or off
# wrk -t2 -c64 -d10s --latency on 127.0.0.1, ROUNDS interleaved rounds
# (off first in odd rounds), medians of requests/s and p99. Writes its
# section of bench/RESULTS.md. Target: on within 2% of off (ratio >=
# 0.98) for both.
# usage: bench/metrics.sh [O]   Env: ROUNDS (3), DURATION (10s), WORKERS
# (4), RESULTS (the file to update, bench/RESULTS.md).
. "$(dirname "$0")/lib/common.sh"
LIBDIR=$(cd "$BIN/.." && pwd)/lib
WORKERS=${WORKERS:-4}
GUESTBOOK=$LIBDIR/apps/guestbook.so
for f in "$BIN/foobar-webd" "$BIN/foobar-appd" "$BIN/foobar-dbmigrate" \
    "$GUESTBOOK"; do
	[ -e "$f" ] || { echo "no $f; run make first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is missing" >&2; exit 1; }

. "$SRCDIR/tests/lib/mariadb.sh"
bench_init metrics-bench
bench_atexit=mariadb_stop
MDB_DIR=$tmp/mdb
mkdir -p "$MDB_DIR" "$tmp/root"
head -c 1024 /dev/urandom >"$tmp/root/1k.bin"

mariadb_start || exit 1
mariadb_sql 'CREATE DATABASE gb CHARACTER SET utf8mb4' || exit 1
mariadb_write_cnf "$tmp/db.cnf" gb
"$BIN/foobar-dbmigrate" -c "$tmp/db.cnf" -d "$SRCDIR/appd/migrations" \
    --metrics-file off up >"$tmp/migrate.log" 2>&1 ||
    { cat "$tmp/migrate.log"; exit 1; }

# start KIND: appd and webd with [metrics] listen KIND (off, or on: a free
# port each); the webd port in port_KIND, the metrics ports in mports_KIND.
start() {
	_a=off _w=off
	if [ "$1" = on ]; then
		_ap=$(freeport) _wp=$(freeport)
		_a=127.0.0.1:$_ap _w=127.0.0.1:$_wp
		eval "mports_on=\"$_ap $_wp\""
	fi
	cat >"$tmp/appd-$1.conf" <<E
[server]
listen = unix:$tmp/appd-$1.sock
workers = $WORKERS
max_requests = 0
[app]
module = $GUESTBOOK
[database]
option_file = $tmp/db.cnf
group = foobar
[metrics]
listen = $_a
E
	"$BIN/foobar-appd" -c "$tmp/appd-$1.conf" >"$tmp/appd-$1.log" 2>&1 &
	pids="$pids $!"
	wport=$(freeport)
	eval "port_$1=$wport"
	webd_conf <<E
[metrics]
listen = $_w
[location /api/]
fastcgi_pass = unix:$tmp/appd-$1.sock
E
	mv "$tmp/webd.conf" "$tmp/webd-$1.conf"
	"$BIN/foobar-webd" -c "$tmp/webd-$1.conf" 2>"$tmp/webd-$1.log" &
	pids="$pids $!"
}
start off
start on
# shellcheck disable=SC2154
wait_urls 100 "http://127.0.0.1:$port_off/1k.bin" \
    "http://127.0.0.1:$port_on/1k.bin" \
    "http://127.0.0.1:$port_off/api/health" \
    "http://127.0.0.1:$port_on/api/health" || { echo "servers not up" >&2;
    exit 1; }

# scraper: GET /metrics of both servers once a second while it lives
( while :; do
	for p in $mports_on; do
		curl -s -o /dev/null "http://127.0.0.1:$p/metrics"
	done
	sleep 1
done ) &
pids="$pids $!"

# runs KIND PATH: one wrk run against the KIND stack
runs() {
	eval "_port=\$port_$1"
	run "$1" "$_port" "$2" 12
}
for path in 1k.bin api/health; do
	r=1
	while [ $r -le "$ROUNDS" ]; do
		if [ $((r % 2)) = 1 ]; then
			runs off "$path"
			runs on "$path"
		else
			runs on "$path"
			runs off "$path"
		fi
		r=$((r + 1))
	done
done

table=$tmp/table
fail=0
{
	echo "| path | metrics off req/s | metrics on req/s | on/off | off p99 ms | on p99 ms | target |"
	echo "|---|---|---|---|---|---|---|"
	for f in 1k.bin api/health; do
		a=$(m off $f 3) b=$(m on $f 3)
		pa=$(m off $f 4) pb=$(m on $f 4)
		ratio=$(awk -v a="$b" -v b="$a" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
		echo "| /$f | $a | $b | ${ratio}x | $pa | $pb | >= 0.98x |"
	done
} >"$table"
cat "$table"
awk -F'|' 'NR > 2 { sub(/x/, "", $5); if ($5 + 0 < 0.98) bad = 1 }
    END { exit bad }' "$table" || fail=1

write_results metrics <<'INTRO'
## metrics: counting on and off (bench/metrics.sh)

{date} UTC; {cpus} CPUs ({cpu}), kernel {kernel}. The same build twice,
`[metrics] listen = off` and on (webd and appd), both /metrics scraped
once a second during the runs; static 1 KiB from webd's cache, and
`/api/health` through webd -> appd (guestbook.so, 4 workers, one private
MariaDB). `wrk -t2 -c64 -d{duration} --latency` on 127.0.0.1, {rounds}
interleaved rounds, medians. wrk, the servers and the other engineers'
jobs share the same 2 cores, so the figures are noisy.
INTRO
exit $fail
