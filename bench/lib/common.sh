# bench/lib/common.sh - what the webd and appd benchmarks share (sourced,
# POSIX sh; bench/run.sh runs bench/*.sh, not this folder): a temporary
# folder removed at exit after the servers started are stopped by PID, free
# ports, webd and nginx started on the configurations written in it,
# bounded waits, interleaved wrk rounds, medians and the benchmark's
# section of the results file.
# The script's argument: [O] (build folder, default build). Env: BIN
# (O/bin), ROUNDS (3), DURATION (10s), RESULTS (the file to update,
# bench/RESULTS.md).
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
O=${1:-build}
BIN=${BIN:-$(cd "$O" && pwd)/bin}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
# Debian's python3 when there is one, not a slow-starting shim on PATH
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
pids=""
tree_pids=""
bench_atexit=""

# bench_init NAME: makes $tmp (/tmp/NAME.XXXXXX); at exit the PIDs in
# $pids are stopped, with the children of those in $tree_pids (prefork
# masters whose children outlive them), in 5 s in all or by SIGKILL; then
# the command in $bench_atexit runs and $tmp is removed.
bench_init() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM
}

bench_cleanup() {
	for p in $tree_pids; do
		pids="$pids $(pgrep -P "$p" | tr '\n' ' ')"
	done
	for p in $pids; do kill "$p" 2>/dev/null; done
	_n=0
	for p in $pids; do
		while kill -0 "$p" 2>/dev/null && [ $_n -lt 50 ]; do
			sleep 0.1
			_n=$((_n + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	$bench_atexit
	rm -rf "$tmp"
}

freeport() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# nginx_conf: writes $tmp/nginx/nginx.conf, stdin being the rest of its
# http block (auto worker processes, no access log).
nginx_conf() {
	mkdir -p "$tmp/nginx"
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		echo "worker_processes auto;"
		echo "events { worker_connections 4096; }"
		echo "http {"
		printf '\taccess_log off;\n'
		cat
		echo "}"
	} >"$tmp/nginx/nginx.conf"
}

# webd_conf: $tmp/webd.conf with the benchmarks' [server] section (on
# $wport, root $tmp/root, no access log, connections kept 60 s and not
# capped per address: wrk comes from one address; cached files trusted
# 60 s without a look at the disk, as nginx's open_file_cache, which the
# benchmarks' nginx has, does by default), then standard input.
webd_conf() {
	{
		printf '[server]\nlisten = 127.0.0.1:%s\nroot = %s/root\n' \
		    "$wport" "$tmp"
		printf 'access_log = off\nkeepalive_timeout = 60s\n'
		printf 'cache_valid = 60s\n'
		printf 'max_connections_per_ip = 4000\n'
		cat
	} >"$tmp/webd.conf"
}

# start_webd: foobar-webd on $tmp/webd.conf, its PID in $wpid.
start_webd() {
	"$BIN/foobar-webd" -c "$tmp/webd.conf" 2>"$tmp/webd.log" &
	wpid=$!
	pids="$pids $wpid"
}

# start_nginx: nginx on $tmp/nginx/nginx.conf, its PID in $npid.
start_nginx() {
	"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e stderr \
	    -g "daemon off; pid $tmp/nginx/pid; error_log stderr;" \
	    2>"$tmp/nginx.log" &
	npid=$!
	pids="$pids $npid"
}

# wait_urls N URL...: until every URL answers 2xx, N tries 0.1 s apart
# (2 s at most per request).
wait_urls() {
	_n=$1
	shift
	for _ in $(seq "$_n"); do
		_up=1
		for _u; do
			curl -sf -m 2 -o /dev/null "$_u" || { _up=0; break; }
		done
		[ $_up = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# cpu_ticks PID: the CPU time (user + system, clock ticks) used so far by
# PID and its children (all their threads); 0 when PID is empty.
cpu_ticks() {
	[ -n "$1" ] || { echo 0; return; }
	for _p in $1 $(pgrep -P "$1" | tr '\n' ' '); do
		awk '{ print $14 + $15 }' "/proc/$_p/stat" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}

# child_ticks: the CPU time of this shell's waited-for children so far.
child_ticks() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }

# run SERVER PORT PATH WIDTH: wrk on $SCHEME://127.0.0.1:PORT/PATH (SCHEME
# http unless set); appends
# "server path req/s p99_ms server_cpu_us/req wrk_cpu_us/req" to
# $tmp/results and prints it (PATH in a column WIDTH wide). The server's
# CPU is that of $wpid or $npid (SERVER webd or nginx) and their
# children over the round, per request answered; wrk's the same. PATH#NAME
# runs wrk with the script $tmp/NAME.lua (a POST, say) on PATH.
run() {
	_script=""
	case $3 in *#*) _script="-s $tmp/${3#*#}.lua" ;; esac
	case $1 in webd) _spid=${wpid:-} ;; nginx) _spid=${npid:-} ;;
	*) _spid="" ;; esac
	_s0=$(cpu_ticks "$_spid") _c0=$(child_ticks)
	# shellcheck disable=SC2086
	wrk -t2 -c64 -d"$DURATION" --latency $_script \
	    "${SCHEME:-http}://127.0.0.1:$2/${3%%#*}" >"$tmp/wrk.out" 2>&1
	_c1=$(child_ticks) _s1=$(cpu_ticks "$_spid")
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk.out")
	p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[a-z]+$/, "", v);
	    sub(/^[0-9.]+/, "", u); if (u == "us") v /= 1000;
	    else if (u == "s") v *= 1000; print v }' "$tmp/wrk.out")
	errs=$(awk '/Non-2xx|Socket errors/' "$tmp/wrk.out" | tr '\n' ' ')
	_n=$(awk '/ requests in / { print $1 }' "$tmp/wrk.out")
	_cpu=$(awk -v a="$_s0" -v b="$_s1" -v c="$_c0" -v d="$_c1" \
	    -v n="${_n:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN {
	    if (n > 0) printf "%.1f %.1f", (b - a) * 1e6 / hz / n,
	    (d - c) * 1e6 / hz / n; else print "0 0" }')
	echo "$1 $3 ${rps:-0} ${p99:-0} $_cpu" >>"$tmp/results"
	printf "%-6s %-${4}s %10s req/s  p99 %s ms  CPU us/req %s (wrk %s) %s\n" \
	    "$1" "$3" "$rps" "$p99" "${_cpu% *}" "${_cpu#* }" "$errs"
}

# run_rounds WIDTH PATH...: for each PATH, ROUNDS rounds of nginx
# ($nport) and webd ($wport), nginx first in odd rounds.
run_rounds() {
	_width=$1
	shift
	for _path; do
		_r=1
		while [ $_r -le "$ROUNDS" ]; do
			if [ $((_r % 2)) = 1 ]; then
				run nginx "$nport" "$_path" "$_width"
				run webd "$wport" "$_path" "$_width"
			else
				run webd "$wport" "$_path" "$_width"
				run nginx "$nport" "$_path" "$_width"
			fi
			_r=$((_r + 1))
		done
	done
}

# mem_tree PID: "RSS PSS" in kB, summed over PID and its children.
mem_tree() {
	_rss=0 _pss=0
	for _p in $1 $(pgrep -P "$1" | tr '\n' ' '); do
		_v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$_p/status" 2>/dev/null)
		_w=$(awk '/^Pss:/ { print $2 }' "/proc/$_p/smaps_rollup" \
		    2>/dev/null)
		_rss=$((_rss + ${_v:-0}))
		_pss=$((_pss + ${_w:-0}))
	done
	echo "$_rss $_pss"
}

# idle_mem SERVER PORT PID MODE: the memory of PID's tree before and with
# 1,000 idle connections held by tests/webd/raw.py MODE (idle: plain
# keep-alive, tlsidle: TLS), one request answered on each; appends
# "SERVER RSS_before RSS_with PSS_before PSS_with" to $tmp/mem.
idle_mem() {
	set -- "$1" "$2" "$3" "$4" $(mem_tree "$3")
	$PY "$SRCDIR/tests/webd/raw.py" "$4" "$2" 1000 8 >"$tmp/idle.out" &
	_ipid=$!
	pids="$pids $_ipid"
	for _ in $(seq 300); do
		grep -q open "$tmp/idle.out" && break
		sleep 0.1
	done
	sleep 1
	set -- "$@" $(mem_tree "$3")
	wait $_ipid
	pids=${pids% "$_ipid"}
	echo "$1 $5 $7 $6 $8" >>"$tmp/mem"
	printf '%-6s RSS %s kB idle, %s kB with 1000 %s connections (PSS %s, %s kB)\n' \
	    "$1" "$5" "$7" "$4" "$6" "$8"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# m SERVER PATH COLUMN: the median of a column of $tmp/results.
m() { awk -v s="$1" -v f="$2" -v c="$3" '$1 == s && $2 == f { print $c }' \
    "$tmp/results" | median; }

# write_results NAME [KEY=VALUE...]: replaces the section NAME of the
# results file with stdin (a Python format string over date, cpus, cpu,
# kernel, nginx, rounds, duration and the KEYs, which override them)
# followed by $tmp/table.
write_results() {
	cat >"$tmp/intro"
	results=${RESULTS:-$SRCDIR/bench/RESULTS.md}
	[ -f "$results" ] || printf '# Benchmark results\n' >"$results"
	_name=$1
	shift
	$PY - "$results" "$_name" "$tmp/intro" "$tmp/table" "$ROUNDS" \
	    "$DURATION" "$@" <<'PY'
import datetime, os, platform, re, sys
path, name, intro, table, rounds, duration = sys.argv[1:7]
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
fields = dict(
    date=f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M}",
    cpus=os.cpu_count(), cpu=cpu, kernel=platform.release(),
    nginx=os.popen("nginx -v 2>&1").read().strip(),
    rounds=rounds, duration=duration)
fields.update(arg.split("=", 1) for arg in sys.argv[7:])
head = open(intro).read().format(**fields)
begin, end = f"<!-- {name} begin -->", f"<!-- {name} end -->"
section = f"{begin}\n{head}\n{open(table).read()}\n{end}\n"
text = open(path).read()
pat = re.compile(re.escape(begin) + ".*?" + re.escape(end) + "\n?", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
	echo "written to $results"
}
