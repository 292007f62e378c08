#!/bin/sh
# bench/webd-static.sh - foobar-webd against Debian's nginx serving the same
# static files (1 KiB and 100 KiB) on 127.0.0.1: wrk -t2 -c64, interleaved
# rounds, medians of requests/s and p99 latency; then the resident memory
# of each with 1,000 idle keep-alive connections. Writes its section of
# bench/RESULTS.md. Targets: 1 KiB >= 1.2x nginx, 100 KiB >= 1.0x.
# usage: bench/webd-static.sh [O]   Env: ROUNDS (3), DURATION (10s).
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$(cd "${1:-build}" && pwd)/bin}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WEBD=$BIN/foobar-webd
[ -x "$WEBD" ] || { echo "no $WEBD; run make first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d /tmp/webd-bench.XXXXXX)
wpid= npid= ipid=
cleanup() {
	for p in $ipid $wpid $npid; do kill "$p" 2>/dev/null; done
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
head -c 1024 /dev/urandom >"$tmp/root/1k.bin"
head -c 102400 /dev/urandom >"$tmp/root/100k.bin"

cat >"$tmp/webd.conf" <<CONF
[server]
listen = 127.0.0.1:$wport
root = $tmp/root
access_log = off
keepalive_timeout = 60s
max_connections_per_ip = 4000
CONF
user=
[ "$(id -u)" = 0 ] && user="user root;"
cat >"$tmp/nginx/nginx.conf" <<CONF
$user
worker_processes auto;
events { worker_connections 4096; }
http {
	access_log off;
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
}
CONF

"$WEBD" -c "$tmp/webd.conf" 2>"$tmp/webd.log" &
wpid=$!
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" \
    -g "daemon off; pid $tmp/nginx/pid; error_log stderr;" \
    2>"$tmp/nginx.log" &
npid=$!
for _ in $(seq 50); do
	curl -sf -o /dev/null "http://127.0.0.1:$wport/1k.bin" &&
	    curl -sf -o /dev/null "http://127.0.0.1:$nport/1k.bin" && break
	sleep 0.1
done

# run SERVER PORT FILE: appends "server file req/s p99_ms" to results
run() {
	wrk -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:$2/$3" \
	    >"$tmp/wrk.out" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out")
	p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v);
	    sub(/^[0-9.]+/, "", u); if (u == "us") v /= 1000;
	    else if (u == "s") v *= 1000; print v }' "$tmp/wrk.out")
	errs=$(awk '/Non-2xx|Socket errors/' "$tmp/wrk.out" | tr '\n' ' ')
	echo "$1 $3 ${rps:-0} ${p99:-0}" >>"$tmp/results"
	printf '%-6s %-9s %10s req/s  p99 %s ms %s\n' "$1" "$3" "$rps" \
	    "$p99" "$errs"
}

for f in 1k.bin 100k.bin; do
	r=1
	while [ $r -le "$ROUNDS" ]; do
		if [ $((r % 2)) = 1 ]; then
			run nginx "$nport" $f
			run webd "$wport" $f
		else
			run webd "$wport" $f
			run nginx "$nport" $f
		fi
		r=$((r + 1))
	done
done

# resident memory (kB) of a process tree: pid and its children
rss() {
	pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
	total=0
	for p in $pids; do
		v=$(awk '/^VmRSS:/ { print $2 }' /proc/$p/status 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo $total
}
# idle SERVER PORT: RSS before and with 1,000 idle keep-alive connections
idle() {
	before=$(rss "$3")
	python3 "$SRCDIR/tests/webd/raw.py" idle "$2" 1000 8 \
	    >"$tmp/idle.out" &
	ipid=$!
	for _ in $(seq 60); do
		grep -q open "$tmp/idle.out" && break
		sleep 0.1
	done
	sleep 1
	with=$(rss "$3")
	wait $ipid
	ipid=
	echo "$1 $before $with" >>"$tmp/mem"
	printf '%-6s RSS %s kB idle, %s kB with 1000 keep-alive connections\n' \
	    "$1" "$before" "$with"
}
idle nginx "$nport" "$npid"
idle webd "$wport" "$wpid"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m() { awk -v s="$1" -v f="$2" -v c="$3" '$1 == s && $2 == f { print $c }' \
    "$tmp/results" | median; }
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

results=$SRCDIR/bench/RESULTS.md
[ -f "$results" ] || printf '# Benchmark results\n' >"$results"
python3 - "$results" "$table" "$ROUNDS" "$DURATION" <<'PY'
import datetime, os, platform, re, sys
path, table, rounds, duration = sys.argv[1:5]
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
nginx = os.popen("nginx -v 2>&1").read().strip()
body = open(table).read()
section = f"""<!-- webd-static begin -->
## webd: static files (bench/webd-static.sh)

{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({cpu}),
kernel {platform.release()}; {nginx} with `sendfile on; open_file_cache
max=1000; access_log off; worker_processes auto`; webd with `access_log =
off` and its defaults (one thread per CPU, memory cache). `wrk -t2 -c64
-d{duration} --latency` on 127.0.0.1, {rounds} interleaved rounds, medians.
wrk, the servers and the other engineers' jobs share the same 2 cores, so
the figures are noisy.

{body}
<!-- webd-static end -->
"""
text = open(path).read()
pat = re.compile(r"<!-- webd-static begin -->.*?<!-- webd-static end -->\n?", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
echo "written to $results"
