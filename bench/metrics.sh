#!/bin/sh
# bench/metrics.sh - what metrics cost webd and appd: the same build as
# three stacks (webd -> appd with guestbook.so, WORKERS workers, one
# private MariaDB for all three):
#   off   [metrics] listen = off in webd and appd
#   on    [metrics] listen on loopback in both, /metrics of both scraped
#         once a second while wrk runs (Prometheus's default is 15 s)
#   ctl   a second "off" stack, for the control
# measured on static 1 KiB (from webd's cache) and /api/health.
#
# Why paired rounds. On a shared 2-core machine identical sequential
# rounds differ by up to 45%, twenty times the 2% to be shown. So two
# stacks are loaded AT THE SAME TIME, each by its own wrk with the same
# threads and connections: whatever else runs on the machine (other
# engineers' container suites) slows both for the same seconds, and the
# ratio of the two req/s in one round cancels it. Each round is short
# (DURATION, 3 s) and there are many (ROUNDS, 20), alternately started
# with the one or the other wrk first, so neither position is favoured.
#   test     on against off: the figure wanted, B/A = on/off
#   control  ctl against off: two identical stacks; its ratio is the
#            method's own error (what it reads where there is nothing)
# A test round and a control round alternate, so both see the same load.
# Reported per kind: every round, the median ratio, its quartiles and
# extremes, and a 95% interval of the median from order statistics (no
# assumption on the shape of the noise: ranks n/2 -+ 0.98 sqrt(n)).
#
# A second, independent figure: each stack's CPU time per request, the
# utime + stime of all its processes (webd, appd's master and workers)
# from /proc over the round, divided by the requests its wrk completed.
# req/s under a shared CPU dilute a server's cost with wrk's (which is
# the same on both sides), the CPU per request does not.
#
# What the paired rounds cannot do: webd and appd count whether or not
# [metrics] listen is set ("off" only means no listener and no scrapes),
# and on a machine loaded many times over (load average 10-20 on 2 cores
# while the container suites run) even paired rounds differ by 10% and
# more, so their medians are known to a few % only; the control says by
# how much. Two measurements that the other jobs do not disturb resolve
# what metrics cost:
#   profile  a cpu-clock profile of the "on" stack under the same paired
#            load: the share of its samples in the metrics code
#            (counting and answering) and in clock reads. A ratio within
#            one profile: other jobs slow numerator and denominator
#            alike; its error is binomial, about 0.05% at 50000 samples.
#   scrapes  the CPU one scrape costs the idle stack, against the idle
#            "off" stack over the same seconds, as a share of the "on"
#            stack's CPU per second under load at one scrape a second.
# Their sum (upper bounds) is what metrics on costs against no metrics
# at all.
#
# Target: on within 2% of off. The paired rounds show it if the 95%
# interval of the median req/s ratio is at or above 0.98, that of the
# CPU per request ratio at or below 1.02, and the control's intervals
# cover 1; the profile shows it if its bound is below 2%. Exit 1 if
# the paired rounds show it missed or the bound is 2% or more. Writes its section of
# bench/RESULTS.md. On a shared machine, take the benchmarks' lock:
# flock /tmp/foobar-bench.lock bench/metrics.sh.
# usage: bench/metrics.sh [O]   Env: ROUNDS (20), DURATION (3s), WORKERS
# (4), WRK ("-t2 -c64" for each wrk), PROFILE (10s), RESULTS (the file to
# update).
ROUNDS=${ROUNDS:-20}
DURATION=${DURATION:-3s}
. "$(dirname "$0")/lib/common.sh"
LIBDIR=$(cd "$BIN/.." && pwd)/lib
WORKERS=${WORKERS:-4}
WRK=${WRK:--t2 -c64}
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

load=$(cut -d' ' -f1-3 /proc/loadavg)
mariadb_start || exit 1
mariadb_sql 'CREATE DATABASE gb CHARACTER SET utf8mb4' || exit 1
mariadb_write_cnf "$tmp/db.cnf" gb
"$BIN/foobar-dbmigrate" -c "$tmp/db.cnf" -d "$SRCDIR/appd/migrations" \
    --metrics-file off up >"$tmp/migrate.log" 2>&1 ||
    { cat "$tmp/migrate.log"; exit 1; }

# start NAME on|off: appd and webd with [metrics] listen off, or on a free
# port each; the webd port in port_NAME, the webd and appd master PIDs in
# stack_NAME, the metrics ports in mports.
mports=""
start() {
	_a=off _w=off
	if [ "$2" = on ]; then
		_ap=$(freeport) _wp=$(freeport)
		_a=127.0.0.1:$_ap _w=127.0.0.1:$_wp
		mports="$mports $_ap $_wp"
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
	_apid=$!
	wport=$(freeport)
	webd_conf <<E
[metrics]
listen = $_w
[location /api/]
fastcgi_pass = unix:$tmp/appd-$1.sock
E
	mv "$tmp/webd.conf" "$tmp/webd-$1.conf"
	"$BIN/foobar-webd" -c "$tmp/webd-$1.conf" 2>"$tmp/webd-$1.log" &
	pids="$pids $_apid $!"
	eval "port_$1=$wport stack_$1=\"$! $_apid\""
}
start off off
start on on
start ctl off
# shellcheck disable=SC2154
for s in $port_off $port_on $port_ctl; do
	wait_urls 100 "http://127.0.0.1:$s/1k.bin" \
	    "http://127.0.0.1:$s/api/health" ||
	    { echo "servers not up" >&2; exit 1; }
done

# scraper: GET /metrics of the "on" stack once a second while it lives
( while :; do
	for p in $mports; do
		curl -s -o /dev/null "http://127.0.0.1:$p/metrics"
	done
	sleep 1
done ) &
pids="$pids $!"

# stack_pids NAME: the PIDs of the stack NAME (webd, appd's master and
# its workers).
stack_pids() {
	eval "_s=\$stack_$1"
	# shellcheck disable=SC2046,SC2154
	echo "$_s" $(for _m in $_s; do pgrep -P "$_m"; done)
}

# ticks NAME: utime + stime of the stack NAME's processes, in clock ticks.
ticks() {
	for _p in $(stack_pids "$1"); do
		cat "/proc/$_p/stat" 2>/dev/null
	done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}

# wrk_at NAME PATH: wrk on the stack NAME for DURATION, in the background,
# into $tmp/wrk-NAME.
wrk_at() {
	eval "_port=\$port_$1"
	# shellcheck disable=SC2086,SC2154
	wrk $WRK -d"$DURATION" "http://127.0.0.1:$_port/$2" \
	    >"$tmp/wrk-$1" 2>&1 &
}

# requests NAME: the requests and req/s of $tmp/wrk-NAME, and "!" if it
# saw errors ("-" if not).
requests() {
	awk '/ requests in / { n = $1 } /^Requests\/sec:/ { r = $2 }
	    /Non-2xx|Socket errors/ { e = "!" }
	    END { printf "%d %s %s\n", n, (r == "" ? 0 : r), e ? e : "-" }' \
	    "$tmp/wrk-$1"
}

# pair KIND A B PATH ROUND FIRST: wrk on the stacks A and B at the same
# time (FIRST, a or b, started first); appends to $tmp/pairs "KIND PATH
# ROUND FIRST reqs/s_A reqs/s_B cpu_us/req_A cpu_us/req_B", B/A of both
# to $tmp/ratios as "KIND PATH ROUND rps_ratio cpu_ratio", and prints
# the round.
hz=$(getconf CLK_TCK)
pair() {
	_ta0=$(ticks "$2") _tb0=$(ticks "$3")
	if [ "$6" = a ]; then
		wrk_at "$2" "$4"; _w1=$!; wrk_at "$3" "$4"; _w2=$!
	else
		wrk_at "$3" "$4"; _w1=$!; wrk_at "$2" "$4"; _w2=$!
	fi
	wait "$_w1" "$_w2"
	_ta1=$(ticks "$2") _tb1=$(ticks "$3")
	[ "$5" = 0 ] && return 0	# warm-up
	# shellcheck disable=SC2046
	set -- "$@" $(requests "$2") $(requests "$3")
	awk -v k="$1" -v p="$4" -v r="$5" -v f="$6" -v na="$7" -v ra="$8" \
	    -v nb="${10}" -v rb="${11}" -v ta=$((_ta1 - _ta0)) \
	    -v tb=$((_tb1 - _tb0)) -v hz="$hz" -v out="$tmp/ratios" 'BEGIN {
		ca = na ? ta * 1e6 / hz / na : 0
		cb = nb ? tb * 1e6 / hz / nb : 0
		rr = ra ? rb / ra : 0
		cr = ca ? cb / ca : 0
		printf "%s %s %s %s %.0f %.0f %.2f %.2f\n", k, p, r, f, ra, rb,
		    ca, cb
		printf "%s %s %s %.4f %.4f\n", k, p, r, rr, cr >>out
	}' >>"$tmp/pairs"
	tail -n 1 "$tmp/pairs" | awk '{ printf "%-7s %-10s %2s %s first: " \
	    "%8s %8s req/s %.3fx  %6s %6s us/req %.3fx\n", $1, $2, $3, $4,
	    $5, $6, $6 / $5, $7, $8, $8 / $7 }'
	case "$9${12}" in *!*) echo "  wrk errors:" \
	    "$(grep -h -e Non-2xx -e 'Socket errors' "$tmp/wrk-$2" \
	    "$tmp/wrk-$3" | tr '\n' ' ')" ;; esac
}

: >"$tmp/pairs"
: >"$tmp/ratios"
echo "kind    path       round        A req/s  B req/s  B/A    A us/req B us/req  B/A"
for path in 1k.bin api/health; do
	pair test off on "$path" 0 a
	pair control off ctl "$path" 0 b
	r=1
	while [ $r -le "$ROUNDS" ]; do
		f=a
		[ $((r % 2)) = 0 ] && f=b
		pair test off on "$path" $r $f
		if [ $f = a ]; then f=b; else f=a; fi
		pair control off ctl "$path" $r $f
		r=$((r + 1))
	done
done

# stats KIND PATH COLUMN: "median q1 q3 min max lo hi" of a ratio column
# of $tmp/ratios (4: req/s, 5: CPU per request); lo..hi is a 95%
# interval of the median (ranks n/2 -+ 0.98 sqrt(n), clamped).
stats() {
	awk -v k="$1" -v p="$2" -v c="$3" '$1 == k && $2 == p { print $c }' \
	    "$tmp/ratios" | sort -n | awk '{ v[NR] = $1 }
	function q(x,  i, f) { i = int(x); f = x - i;
		return i >= NR ? v[NR] : v[i] + f * (v[i + 1] - v[i]) }
	END {
		n = NR; d = 0.98 * sqrt(n)
		lo = int(n / 2 - d); if (lo < 1) lo = 1
		hi = int(n / 2 + 1 + d + 0.999); if (hi > n) hi = n
		printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f\n", q((n + 1) / 2),
		    q((n + 3) / 4), q((3 * n + 1) / 4), v[1], v[n], v[lo], v[hi]
	}'
}

table=$tmp/table
fail=0
{
	echo "| path | pair | rounds | req/s B/A: median | quartiles | min–max | 95% of median | CPU/request B/A: median | quartiles | min–max | 95% of median |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	for p in 1k.bin api/health; do
		for k in test control; do
			pr="on/off"
			[ $k = control ] && pr="off/off (control)"
			# shellcheck disable=SC2046
			set -- $(stats $k $p 4) $(stats $k $p 5)
			echo "| /$p | $pr | $ROUNDS | $1 | $2–$3 | $4–$5 | $6–$7 | ${8} | ${9}–${10} | ${11}–${12} | ${13}–${14} |"
		done
	done
	echo
	echo "Each round, B/A (req/s; CPU per request):"
	echo
	echo "| round | /1k.bin on/off | /1k.bin off/off | /api/health on/off | /api/health off/off |"
	echo "|---|---|---|---|---|"
	awk '{ v[$3] = v[$3] sprintf(" %.3f; %.3f |", $4, $5) }
	    END { for (r = 1; r in v; r++) printf "| %d |%s\n", r, v[r] }' \
	    "$tmp/ratios"
} >"$table"

# scrape cost: what answering /metrics costs the idle "on" stack, each
# endpoint loaded by wrk -c1 for 2 s, less the idle "off" stack's CPU
# over the same seconds; in us per scrape, and per path as a share of the
# "on" stack's CPU per second under load (median of the test rounds) at
# one scrape of both a second.
scrape_us=0
for mp in $mports; do
	_o0=$(ticks on) _f0=$(ticks off)
	wrk -t1 -c1 -d2s "http://127.0.0.1:$mp/metrics" >"$tmp/wrk-scrape" 2>&1
	_o1=$(ticks on) _f1=$(ticks off)
	_n=$(awk '/ requests in / { print $1 }' "$tmp/wrk-scrape")
	scrape_us=$(awk -v s="$scrape_us" -v n="${_n:-0}" -v hz="$hz" \
	    -v d=$((_o1 - _o0 - _f1 + _f0)) \
	    'BEGIN { printf "%.1f", s + (n ? d * 1e6 / hz / n : 0) }')
done
# scrape_pct PATH: the scrapes' share on PATH, in %.
scrape_pct() {
	awk -v p="$1" '$1 == "test" && $2 == p { printf "%.0f\n", $6 * $8 }' \
	    "$tmp/pairs" | median | awk -v s="$scrape_us" \
	    '{ printf "%.3f", $1 ? 100 * s / $1 : 0 }'
}

# profile: a cpu-clock profile (perf record, 4999 Hz, kernel included)
# of the "on" stack over one more paired round of PROFILE (10s) per path.
# Shares of its samples: the metrics code (counting and answering:
# metrics_*, appd_metrics_*, prom_*, appd_listen_queue) and every clock
# read (clock_gettime, some of them for the durations counted), with a
# 95% upper bound (binomial). A ratio within one profile of one stack:
# the other jobs' load slows numerator and denominator alike.
prof=$tmp/profile
: >"$prof"
if command -v perf >/dev/null; then
	_d=$DURATION
	DURATION=${PROFILE:-10s}
	for p in 1k.bin api/health; do
		perf record -q -e cpu-clock -F 4999 \
		    -p "$(stack_pids on | tr ' ' ',')" -o "$tmp/perf.data" \
		    >/dev/null 2>&1 &
		_perf=$!
		sleep 0.5
		pair test off on "$p" 0 a
		kill -INT "$_perf" 2>/dev/null
		wait "$_perf"
		perf script -i "$tmp/perf.data" -F ip,sym 2>/dev/null |
		    awk -v p="$p" -v sc="$(scrape_pct "$p")" '
		    { n++ }
		    $2 ~ /^(appd_)?metrics_|^prom_|^appd_listen_queue/ {
			m++; s[$2]++ }
		    $2 ~ /clock_gettime/ { c++ }
		    function up(k) {
			f = k / n
			return 100 * (f + 1.96 * sqrt(f * (1 - f) / n))
		    }
		    END {
			if (n < 1000) exit
			t = ""
			for (k in s) if (s[k] * 1000 >= n) t = t " " k
			printf "/%s %d %.3f %.3f %.3f %.3f %.3f%s\n", p, n,
			    100 * m / n, up(m), 100 * c / n, up(c),
			    up(m) + up(c) + sc, t
		    }' >>"$prof"
	done
	DURATION=$_d
fi

# verdicts, per path: the paired rounds (from the intervals of the test
# and the control; below 6 rounds min..max covers the median less than
# 95% of the time), and the profile's bound
verdict=$tmp/verdict
for p in 1k.bin api/health; do
	# shellcheck disable=SC2046
	set -- $(stats test $p 4) $(stats test $p 5)
	t="$1 $6 $7 $8 ${13} ${14}"
	# shellcheck disable=SC2046,SC2086
	set -- $t $(stats control $p 4) $(stats control $p 5)
	bound=$(awk -v p="/$p" '$1 == p { print $7 }' "$prof")
	awk -v p="$p" -v rm="$1" -v rlo="$2" -v rhi="$3" -v cm="$4" \
	    -v clo="$5" -v chi="$6" -v krlo="${12}" -v krhi="${13}" \
	    -v kclo="${19}" -v kchi="${20}" -v b="${bound:-}" \
	    -v n="$ROUNDS" 'BEGIN {
		ctl = krlo <= 1 && krhi >= 1 && kclo <= 1 && kchi >= 1
		printf "/%s, paired rounds: ", p
		if (n < 6) {
			print "too few rounds for a 95% interval"
			rhi = 1; clo = 1
		} else if (rhi < 0.98 || clo > 1.02)
			print "target missed, shown"
		else if (rlo >= 0.98 && chi <= 1.02 && ctl)
			print "within 2%, shown"
		else
			printf "not resolved: the 95%% intervals of the median" \
			    " are %.3f-%.3f (req/s) and %.3f-%.3f (CPU per" \
			    " request), the control%s %.3f-%.3f and" \
			    " %.3f-%.3f\n", rlo, rhi, clo, chi,
			    ctl ? "'"'"'s" : " (not covering 1)", krlo, krhi,
			    kclo, kchi
		if (b != "") {
			printf "/%s, profile: metrics at most %.2f%% of the" \
			    " \"on\" stack'"'"'s CPU: ", p, b
			print b < 2 ? "within 2%, shown" : "not shown"
		}
		exit (rhi < 0.98 || clo > 1.02 || (b != "" && b >= 2))
	}' >>"$verdict" || fail=1
done

{
	echo
	echo "Scrapes: ${scrape_us} us of CPU per scrape of both endpoints" \
	    "(idle stack, wrk -c1); at one scrape a second, under the load" \
	    "of the test rounds, $(scrape_pct 1k.bin)% of the \"on\"" \
	    "stack's CPU on /1k.bin, $(scrape_pct api/health)% on" \
	    "/api/health."
	if [ -s "$prof" ]; then
		echo
		echo "Profile of the \"on\" stack (perf record -e cpu-clock," \
		    "4999 Hz, one paired round of ${PROFILE:-10s}), shares of" \
		    "its samples, 95% upper bounds in brackets:"
		echo
		echo "| path | samples | metrics code | clock reads (all) |" \
		    "bound: metrics + clock reads + scrapes | functions >= 0.1% |"
		echo "|---|---|---|---|---|---|"
		awk '{ t = ""; for (i = 8; i <= NF; i++) t = t " " $i
		    printf "| %s | %d | %.2f%% (%.2f%%) | %.2f%% (%.2f%%) |" \
		    " %.2f%% |%s |\n", $1, $2, $3, $4, $5, $6, $7, t }' "$prof"
	fi
	echo
	sed 's/^/- /' "$verdict"
} >>"$table"
cat "$table"

write_results metrics wrk="$WRK" workers="$WORKERS" load="$load" \
    load_end="$(cut -d' ' -f1-3 /proc/loadavg)" <<'INTRO'
## metrics: counting on and off (bench/metrics.sh)

{date} UTC; {cpus} CPUs ({cpu}), kernel {kernel}; load average
{load} at the start, {load_end} at the end. The same build as three stacks of webd -> appd
(guestbook.so, {workers} workers, one private MariaDB): "on" (`[metrics]
listen` on loopback in both, both /metrics scraped once a second), "off",
and "ctl", a second "off". webd and appd count in both settings: "off"
only has no listener and no scrapes.

Paired rounds: two stacks loaded at the same time, each by its own `wrk
{wrk} -d{duration}` on 127.0.0.1, so that the other jobs on the shared
cores slow both alike: on against off (the test), ctl against off (the
control: the method's own error), {rounds} rounds of each, alternating,
and alternately started with the one or the other wrk first. B/A is
on/off or ctl/off; CPU/request is utime + stime of all the stack's
processes over the round per request wrk completed (lower is better).
"95% of median": the order statistics of ranks n/2 -+ 0.98 sqrt(n), no
assumption on the noise.
INTRO
exit $fail
