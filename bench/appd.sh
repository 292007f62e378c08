#!/bin/sh
# bench/appd.sh - the dynamic path side by side, in one run, on one private
# MariaDB (Unix socket) with the guestbook schema migrated by dbmigrate:
#   health-webd-appd  webd -> appd (guestbook.so) GET /api/health
#   health-nginx-fpm  nginx -> php-fpm, bench/appd/health.php (same query,
#                     same JSON; mysqli over the socket), a connection per
#                     request (nginx's default)
#   health-nginx-fpm-keep  the same with fastcgi_keep_conn + keepalive, to
#                     its own pool (a child stays bound to one kept
#                     connection: with 64 clients and 4 children, requests
#                     wait on connections no child accepts)
#   health-nginx-appd nginx -> the same appd, same URL
#   cgi-webd-appd     webd -> appd [cgi], bench/appd/hello.sh
#   cgi-nginx-fcgiwrap nginx -> fcgiwrap, the same script
# wrk -t2 -c64 -d10s --timeout 10s --latency on 127.0.0.1, ROUNDS
# interleaved rounds (the order rotates), medians of requests/s (2xx
# only), p99 and the servers' CPU time per request; memory (RSS, PSS) of each server's
# processes at the end. appd runs with max_requests = 0 (workers never
# replaced), as php-fpm with pm.max_requests = 0: a replaced worker hands
# the CPU time of the CGI scripts it reaped to the master's cutime, which
# then lands in whichever target runs next. webd runs with its defaults
# (a thread per CPU, 64 kept backend connections in all), nginx with the
# same 64 in all (keepalive 64 / CPUs per worker process); /cgi-bin/
# without kept connections on both fronts (fastcgi_keep_conn = no, as
# etc/webd.conf ships it; nginx -> fcgiwrap keeps none either).
# Writes its section of bench/RESULTS.md. Targets:
# webd->appd >= 2.5x nginx->php-fpm (both); webd->appd >= 1.0x nginx->appd;
# CGI webd->appd >= 1.0x nginx->fcgiwrap. Exit status 1 when one is missed
# or a server failed a request.
# usage: bench/appd.sh [O]   Env: ROUNDS (3), DURATION (10s), WORKERS (4,
# appd workers = php-fpm children = fcgiwrap children), BENCH_PCONNECT (1:
# PHP keeps a persistent connection per child; 0: connects per request),
# RESULTS (the file to update, bench/RESULTS.md).
. "$(dirname "$0")/lib/common.sh"
LIBDIR=$(cd "$BIN/.." && pwd)/lib
WORKERS=${WORKERS:-4}
BENCH_PCONNECT=${BENCH_PCONNECT:-1}
GUESTBOOK=$LIBDIR/apps/guestbook.so
FPM=$(command -v php-fpm8.2 || command -v php-fpm || echo /usr/sbin/php-fpm8.2)
FCGIWRAP=$(command -v fcgiwrap || echo /usr/sbin/fcgiwrap)
for f in "$BIN/foobar-webd" "$BIN/foobar-appd" "$BIN/foobar-dbmigrate" \
    "$GUESTBOOK"; do
	[ -e "$f" ] || { echo "no $f; run make first" >&2; exit 1; }
done
for f in "$FPM" "$NGINX" "$FCGIWRAP"; do
	[ -x "$f" ] || { echo "$f is missing (tests/deps.sh bench)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is missing" >&2; exit 1; }

. "$SRCDIR/tests/lib/mariadb.sh"
# At exit: the servers, wrk and fcgiwrap's children (they survive their
# master) stopped by PID, then MariaDB.
bench_init appd-bench
bench_atexit=mariadb_stop
MDB_DIR=$tmp/mdb
mkdir -p "$MDB_DIR" "$tmp/cgi-bin" "$tmp/root"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average before: $load_before"

# --- the database, migrated by dbmigrate
mariadb_start || exit 1
mariadb_sql 'CREATE DATABASE gb CHARACTER SET utf8mb4' || exit 1
mariadb_write_cnf "$tmp/db.cnf" gb
"$BIN/foobar-dbmigrate" -c "$tmp/db.cnf" -d "$SRCDIR/appd/migrations" \
    --metrics-file off up \
    >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log"; exit 1; }

wport=$(freeport)	# webd
naport=$(freeport)	# nginx -> appd
npport=$(freeport)	# nginx -> php-fpm
ncport=$(freeport)	# nginx -> fcgiwrap
nkport=$(freeport)	# nginx -> php-fpm, kept connections
# nginx's kept appd connections per worker process (one per CPU): 64 in
# all, as webd's fastcgi_keepalive, which each thread shares alike
NCPU=$(getconf _NPROCESSORS_ONLN)
NGX_KEEPALIVE=$(( (64 + NCPU - 1) / NCPU ))
cp "$SRCDIR/bench/appd/hello.sh" "$tmp/cgi-bin/hello.sh"
chmod 755 "$tmp/cgi-bin/hello.sh"

# --- appd: the shipped defaults (etc/appd.conf) but for paths, workers and
# max_requests = 0: never replaced, as php-fpm's pm.max_requests = 0 below.
# A worker reaps its CGI scripts into its own cutime; replaced, it would
# hand that time to the master during a later target's run.
cat >"$tmp/appd.conf" <<E
[server]
listen = unix:$tmp/appd.sock
workers = $WORKERS
max_requests = 0
request_timeout = 30
queue_timeout = 1s
idle_timeout = 60s
status_path = /appd-status
[app]
module = $GUESTBOOK
[cgi]
prefix = /cgi-bin/
root = $tmp/cgi-bin
timeout = 30
[database]
option_file = $tmp/db.cnf
group = foobar
E
"$BIN/foobar-appd" -c "$tmp/appd.conf" >"$tmp/appd.log" 2>&1 &
appd_pid=$!
pids="$pids $appd_pid"

# --- webd: its defaults (one thread per CPU, fastcgi_keepalive = 64 kept
# backend connections in all); /cgi-bin/ without kept connections, as
# etc/webd.conf ships it and as nginx -> fcgiwrap runs
webd_conf <<E
[location /api/]
fastcgi_pass = unix:$tmp/appd.sock
[location /cgi-bin/]
fastcgi_pass = unix:$tmp/appd.sock
fastcgi_keep_conn = no
E
start_webd

# --- php-fpm: Debian's php.ini (opcache on), pm static; two pools alike
# fpm_pool NAME SOCKET: a pool of WORKERS children running health.php
fpm_pool() {
	cat <<E
[$1]
user = $(id -un)
group = $(id -gn)
listen = $tmp/$2
pm = static
pm.max_children = $WORKERS
pm.max_requests = 0
env[DB_SOCK] = $MDB_SOCK
env[DB_NAME] = gb
env[BENCH_PCONNECT] = $BENCH_PCONNECT
E
}
{
	printf '[global]\nerror_log = %s/fpm.log\ndaemonize = no\n' "$tmp"
	fpm_pool bench fpm.sock
	fpm_pool keep fpm-keep.sock
} >"$tmp/fpm.conf"
fpm_root=
[ "$(id -u)" = 0 ] && fpm_root=-R
"$FPM" $fpm_root -F -y "$tmp/fpm.conf" >"$tmp/fpm.out" 2>&1 &
fpm_pid=$!
pids="$pids $fpm_pid"

# --- fcgiwrap: WORKERS preforked children
"$FCGIWRAP" -c "$WORKERS" -s "unix:$tmp/fcgiwrap.sock" \
    >"$tmp/fcgiwrap.log" 2>&1 &
fcgiwrap_pid=$!
pids="$pids $fcgiwrap_pid"
tree_pids=$fcgiwrap_pid

# --- nginx: Debian's, worker_processes auto, kept FastCGI connections
# fastcgi_server PORT LOCATION UPSTREAM [DIRECTIVE...]: a server passing
# LOCATION to UPSTREAM
fastcgi_server() {
	cat <<E
	server {
		listen 127.0.0.1:$1;
		location $2 {
			include /etc/nginx/fastcgi_params;
			fastcgi_param HTTP_PROXY "";
			fastcgi_pass $3;
E
	shift 3
	for d; do printf '\t\t\t%s\n' "$d"; done
	printf '\t\t}\n\t}\n'
}
health="fastcgi_param SCRIPT_FILENAME $SRCDIR/bench/appd/health.php;"
{
	cat <<E
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	client_body_temp_path $tmp/nginx/body;
	fastcgi_temp_path $tmp/nginx/fastcgi;
	proxy_temp_path $tmp/nginx/proxy;
	uwsgi_temp_path $tmp/nginx/uwsgi;
	scgi_temp_path $tmp/nginx/scgi;
	upstream appd {
		server unix:$tmp/appd.sock;
		keepalive $NGX_KEEPALIVE;	# per worker: 64 in all, as webd
	}
	upstream fpm {
		server unix:$tmp/fpm.sock;
	}
	upstream fpmkeep {
		server unix:$tmp/fpm-keep.sock;
		keepalive $WORKERS;
	}
	upstream fcgiwrap {
		server unix:$tmp/fcgiwrap.sock;
	}
E
	fastcgi_server "$naport" / appd "fastcgi_keep_conn on;"
	fastcgi_server "$npport" "= /api/health" fpm "$health"
	fastcgi_server "$nkport" "= /api/health" fpmkeep "$health" \
	    "fastcgi_keep_conn on;"
	fastcgi_server "$ncport" /cgi-bin/ fcgiwrap "root $tmp;" \
	    'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;'
} | nginx_conf
start_nginx

# The targets: NAME URL GROUPS (the server processes that do its work)
cat >"$tmp/targets" <<E
health-webd-appd http://127.0.0.1:$wport/api/health webd,appd,mariadb
health-nginx-fpm http://127.0.0.1:$npport/api/health nginx,fpm,mariadb
health-nginx-fpm-keep http://127.0.0.1:$nkport/api/health nginx,fpmkeep,mariadb
health-nginx-appd http://127.0.0.1:$naport/api/health nginx,appd,mariadb
cgi-webd-appd http://127.0.0.1:$wport/cgi-bin/hello.sh webd,appd
cgi-nginx-fcgiwrap http://127.0.0.1:$ncport/cgi-bin/hello.sh nginx,fcgiwrap
E

# not_ready WHAT: says what did not answer, with the servers' logs; exits.
not_ready() {
	echo "not ready: $1" >&2
	for f in appd.log webd.log fpm.log fpm.out fcgiwrap.log nginx.log; do
		[ -s "$tmp/$f" ] && { echo "--- $f"; tail -n 20 "$tmp/$f"; } >&2
	done
	exit 1
}
# Every target answers 2xx (bounded wait), then 200 with the expected body.
# shellcheck disable=SC2046
wait_urls 100 $(cut -d' ' -f2 "$tmp/targets") ||
    not_ready "not every target answers 2xx"
while read -r name url groups; do
	out=$(curl -s -m 2 -w ' %{http_code}' "$url" 2>/dev/null)
	case "$name:$out" in
	health-*'"schema":1}'*' 200') ;;
	cgi-*'hello from /cgi-bin/hello.sh'*' 200') ;;
	*) not_ready "$name: $out" ;;
	esac
done <"$tmp/targets"

if [ -n "${BENCH_PAUSE:-}" ]; then
	# for profiling by hand: the stack stays up this long
	cat "$tmp/targets"
	echo "webd $wpid appd $appd_pid nginx $npid fpm $fpm_pid fcgiwrap $fcgiwrap_pid mariadb $MDB_PID"
	sleep "$BENCH_PAUSE"
	exit 0
fi

# PIDs of a group: the main process and its children.
group_pids() {
	case $1 in
	webd) m=$wpid ;;
	appd) m=$appd_pid ;;
	nginx) m=$npid ;;
	fpm | fpmkeep)
		# one pool's children (the master only with the first)
		pool=bench
		[ "$1" = fpmkeep ] && pool=keep
		[ $1 = fpm ] && printf '%s ' "$fpm_pid"
		for p in $(pgrep -P "$fpm_pid"); do
			case $(cat "/proc/$p/cmdline" 2>/dev/null | tr '\0' ' ') in
			*"pool $pool"*) printf '%s ' "$p" ;;
			esac
		done
		echo
		return ;;
	fcgiwrap) m=$fcgiwrap_pid ;;
	mariadb) m=$MDB_PID ;;
	esac
	echo "$m $(pgrep -P "$m" | tr '\n' ' ')"
}
# CPU clock ticks (user + system) of a group: its live processes, plus
# the reaped children of the main process (a worker that died). The CGI
# scripts' own time is left out on both sides: fcgiwrap ignores SIGCHLD,
# so its scripts' time is never added to it; appd's workers reap theirs
# but are never replaced (max_requests = 0), so it never reaches the
# master's cutime.
cpu_ticks() {
	set -- $(group_pids "$1")
	m=$1
	total=0
	for p in "$@"; do
		v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk -v main=$((p == m)) \
		    '{ print $12 + $13 + (main ? $14 + $15 : 0) }')
		total=$((total + ${v:-0}))
	done
	echo $total
}
# cpu_all GROUPS: "ticks ticks ticks" of groups "a,b,c"
cpu_all() {
	for g in $(echo "$1" | tr , ' '); do
		printf '%s ' "$(cpu_ticks "$g")"
	done
}
HZ=$(getconf CLK_TCK)


# run_target NAME URL GROUPS [DURATION]: one wrk run; appends "NAME ok/s
# p99_ms front_us app_us db_us errors" to $tmp/results (unless warming up):
# the CPU time of the front, the app server and MariaDB per request.
run_target() {
	c0=$(cpu_all "$3")
	wrk -t2 -c64 -d"${4:-$DURATION}" --timeout 10s --latency "$2" \
	    >"$tmp/wrk.out" 2>&1 &
	wrk_pid=$!
	pids="$pids $wrk_pid"
	wait $wrk_pid
	pids=${pids% "$wrk_pid"}
	c1=$(cpu_all "$3")
	[ -n "${4:-}" ] && return 0
	cp "$tmp/wrk.out" "$tmp/wrk-$1-$r.out"
	# what failed, if anything
	grep -E 'Non-2xx|Socket errors' "$tmp/wrk.out" | sed 's/^ */    /'
	awk -v name="$1" -v hz="$HZ" -v c0="$c0" -v c1="$c1" '
	function ms(v,   u) {
		u = v; sub(/^[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		if (u == "us") return v / 1000
		if (u == "s") return v * 1000
		if (u == "m") return v * 60000
		return v + 0
	}
	function us(i) {
		if (i > ng || n == 0) return "-"
		return sprintf("%.0f", (b[i] - a[i]) * 1e6 / hz / n)
	}
	/ requests in / { n = $1; secs = $4; sub(/s,$/, "", secs) }
	$1 == "99%" { p99 = ms($2) }
	/Non-2xx or 3xx responses:/ { bad += $NF }
	/Socket errors:/ { gsub(/,/, ""); bad += $4 + $6 + $8 + $10 }
	END {
		ng = split(c0, a, " "); split(c1, b, " ")
		printf "%s %.0f %.2f %s %s %s %d\n", name, (n - bad) / secs, p99,
		    us(1), us(2), us(3), bad
	}' "$tmp/wrk.out" | tee -a "$tmp/results" | awk '{ printf "  %-19s %7s req/s  p99 %7s ms  CPU us/req: front %4s app %5s db %4s  %s failed\n", $1, $2, $3, $4, $5, $6, $7 }'
}

ntargets=$(wc -l <"$tmp/targets")
echo "warm-up"
while read -r name url groups; do
	run_target "$name" "$url" "$groups" 2s
done <"$tmp/targets"
: >"$tmp/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	echo "round $r"
	# rotate the order: round r starts with target r
	k=0
	while [ $k -lt "$ntargets" ]; do
		line=$(( (r - 1 + k) % ntargets + 1 ))
		set -- $(sed -n "${line}p" "$tmp/targets")
		run_target "$1" "$2" "$3"
		k=$((k + 1))
	done
	r=$((r + 1))
done

# Memory of each group now (kB): RSS sum and PSS sum (PSS shares the pages
# that forked processes have in common).
: >"$tmp/mem"
for g in webd appd nginx fpm fpmkeep fcgiwrap; do
	rss=0 pss=0 n=0
	for p in $(group_pids "$g"); do
		v=$(awk '/^Rss:/ { r = $2 } /^Pss:/ { p = $2 }
		    END { print r + 0, p + 0 }' "/proc/$p/smaps_rollup" 2>/dev/null)
		[ -n "$v" ] || continue
		rss=$((rss + ${v% *}))
		pss=$((pss + ${v#* }))
		n=$((n + 1))
	done
	echo "$g $n $rss $pss" >>"$tmp/mem"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average after: $load_after"

# Server-side failures during the runs: nginx's errors, webd's and appd's
# warnings (their start-up lines left out), counted by message.
grep -E '\[(error|crit|alert|emerg)\]' "$tmp/nginx.log" 2>/dev/null |
    sed 's/^[0-9/: ]*//; s/[0-9]*#[0-9]*: \*[0-9]* //' |
    sort | uniq -c | sort -rn | head -n 5 >"$tmp/nginx-errors"
cat "$tmp/webd.log" "$tmp/appd.log" 2>/dev/null | grep -vE \
    'listening|serving|starting|ready|stopping|stopped|started' |
    sed 's/worker [0-9]*:/worker N:/; s/[0-9][0-9]*/N/g' |
    sort | uniq -c | sort -rn | head -n 8 >"$tmp/logs"

med() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$tmp/results" | median; }
runs() { awk -v n="$1" '$1 == n { printf "%s%s", sep, $2; sep = ", " }' "$tmp/results"; }
errs() { awk -v n="$1" '$1 == n { s += $7 } END { print s + 0 }' "$tmp/results"; }
mem() { awk -v g="$1" -v c="$2" '$1 == g { print $c }' "$tmp/mem"; }
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-") print "-"
		else printf "%.2f", (b > 0 ? a / b : 0)
	}'
}
# front + app CPU µs/req of a target; "-" when it answered nothing
cpusum() {
	awk -v f="$(med "$1" 4)" -v a="$(med "$1" 5)" \
	    'BEGIN { print (f == "-" || a == "-") ? "-" : f + a }'
}

label() {
	case $1 in
	health-webd-appd) echo "webd → appd (guestbook.so)" ;;
	health-nginx-fpm) echo "nginx → php-fpm (health.php)" ;;
	health-nginx-fpm-keep) echo "nginx → php-fpm, kept connections" ;;
	health-nginx-appd) echo "nginx → appd (guestbook.so)" ;;
	cgi-webd-appd) echo "webd → appd [cgi] hello.sh" ;;
	cgi-nginx-fcgiwrap) echo "nginx → fcgiwrap hello.sh" ;;
	esac
}
# stack memory: RSS/PSS of the front + the app server
stackmem() {
	case $1 in
	*-webd-appd) a=webd b=appd ;;
	*-nginx-fpm) a=nginx b=fpm ;;
	*-nginx-fpm-keep) a=nginx b=fpmkeep ;;
	*-nginx-appd) a=nginx b=appd ;;
	*-nginx-fcgiwrap) a=nginx b=fcgiwrap ;;
	esac
	echo "$(($(mem $a 3) + $(mem $b 3))) / $(($(mem $a 4) + $(mem $b 4)))"
}

fail=0
table=$tmp/table
{
	echo "| path | req/s (2xx), median | runs | p99 ms | CPU µs/req: front | app server | MariaDB | failed requests | RSS / PSS kB (front + app server) |"
	echo "|---|---:|---|---:|---:|---:|---:|---:|---|"
	while read -r name url groups; do
		echo "| $(label "$name") | $(med "$name" 2) | $(runs "$name") | $(med "$name" 3) | $(med "$name" 4) | $(med "$name" 5) | $(med "$name" 6) | $(errs "$name") | $(stackmem "$name") |"
	done <"$tmp/targets"
	echo
	echo "| comparison | ratio (req/s) | target | front + app CPU/req ratio (lower is better) | |"
	echo "|---|---:|---:|---:|---|"
	while read -r a b target what; do
		x=$(ratio "$(med "$a" 2)" "$(med "$b" 2)")
		y=$(ratio "$(cpusum "$a")" "$(cpusum "$b")")
		verdict=met
		if ! awk -v x="$x" -v t="$target" 'BEGIN { exit !(x >= t) }'; then
			verdict=**missed**
			echo "$a/$b" >>"$tmp/missed"
		fi
		echo "| $what | **${x}×** | ≥ ${target}× | ${y} | $verdict |"
	done <<E
health-webd-appd health-nginx-fpm 2.5 webd → appd vs nginx → php-fpm
health-webd-appd health-nginx-fpm-keep 2.5 webd → appd vs nginx → php-fpm, kept connections
health-webd-appd health-nginx-appd 1.0 webd vs nginx in front of appd
cgi-webd-appd cgi-nginx-fcgiwrap 1.0 CGI: webd → appd vs nginx → fcgiwrap
E
	echo
	echo "| server | processes | RSS kB | PSS kB |"
	echo "|---|---:|---:|---:|"
	while read -r g n rss pss; do
		echo "| $g | $n | $rss | $pss |"
	done <"$tmp/mem"
} >"$table"
cat "$table"
[ -s "$tmp/missed" ] && fail=1
for name in $(cut -d' ' -f1 "$tmp/targets"); do
	[ "$(errs "$name")" = 0 ] || { echo "$name: failed requests" >&2; fail=1; }
done
if [ -s "$tmp/nginx-errors" ]; then
	echo "nginx error.log:" >&2
	cat "$tmp/nginx-errors" >&2
fi
if [ -s "$tmp/logs" ]; then
	echo "webd and appd logs:" >&2
	cat "$tmp/logs" >&2
fi


php_conn="a new connection per request"
[ "$BENCH_PCONNECT" = 1 ] &&
    php_conn="a persistent connection per child (\`p:localhost\`)"
write_results appd workers="$WORKERS" load0="$load_before" \
    load1="$load_after" php_conn="$php_conn" keepalive="$NGX_KEEPALIVE" \
    server="MariaDB $(mariadb_sql 'SELECT VERSION()')" \
    php="$("$FPM" -v 2>/dev/null | head -n 1 | cut -d' ' -f1-2)" \
    nginx="$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')" <<'INTRO'
## appd: the dynamic path (bench/appd.sh)

{date} UTC; {cpus} CPUs ({cpu}),
kernel {kernel}; load average {load0} before, {load1}
after: the other engineers' builds and tests share the 2 cores, so requests/s are
noisy; the CPU time per request is the steadier measure.
`wrk -t2 -c64 -d{duration} --timeout 10s --latency` on 127.0.0.1, {rounds} rounds
interleaved (the order rotates each round), medians, after a 2 s warm-up
of each. Everything in one run, behind Unix sockets in a temporary folder,
against one private {server} (Unix socket)
migrated by `foobar-dbmigrate`:

- **webd → appd**: `foobar-webd` (`[location /api/] fastcgi_pass =
  unix:…`, its defaults: a thread per CPU, `fastcgi_keepalive = 64` kept
  backend connections in all) → `foobar-appd` with `workers = {workers}`,
  `max_requests = 0` (workers never replaced, as php-fpm's
  `pm.max_requests = 0`: a replaced worker would hand the CPU time of
  the CGI scripts it reaped to the master during a later target's run)
  and otherwise the shipped defaults (`queue_timeout = 1s` …),
  `guestbook.so` `GET /api/health`: `SELECT COALESCE(MAX(version), 0) FROM
  dbmigrate_history WHERE success = 1` on the worker's connection, JSON by
  jansson.
- **nginx → php-fpm**: nginx {nginx} (`worker_processes auto` = 2,
  `access_log off`), a new connection per request (nginx's default) →
  {php} (Debian's php.ini, opcache on), `pm = static`,
  `pm.max_children = {workers}`, running `bench/appd/health.php`: the
  same query through mysqli over the socket with {php_conn}, the same
  JSON and headers.
- **nginx → php-fpm, kept connections**: the same to a second pool of
  {workers} children with `fastcgi_keep_conn on` + `keepalive {workers}`.
  A php-fpm child serves one connection until it closes, so the kept
  connections hold the children and the other requests wait in the
  listen queue on connections no child accepts (wrk's timeouts).
- **nginx → appd**: the same nginx, `fastcgi_keep_conn on` and `keepalive
  {keepalive}` per worker process (64 in all, as webd), in front of the
  same appd, the same URL.
- **CGI**: `bench/appd/hello.sh` (`#!/bin/sh`, one `printf`) through
  webd → appd `[cgi]` (`[location /cgi-bin/] fastcgi_keep_conn = no`, as
  etc/webd.conf ships it), and through nginx → fcgiwrap 1.1.0 (`-c
  {workers}`, no kept connections either).

Requests/s count 2xx answers only; "failed" sums non-2xx answers and wrk's
socket errors (`--timeout 10s`, so that slow answers count in the
latency, not as errors). CPU µs/req is the user + system time, over the
run, of the front's processes, of the app server's
processes (with the master's reaped children, none with `max_requests =
0` unless one dies) and of mariadbd, divided by the requests; the CGI
scripts' own time is left out on both sides (fcgiwrap ignores SIGCHLD,
so its scripts' time cannot be counted; appd's workers keep theirs in
their own cutime, which is not read). Memory is taken
at the end of the runs: RSS summed over each server's processes, and PSS
(shared pages split between the processes).

Command: `make bench` (or `sh bench/appd.sh O`; `B=appd make bench` runs
this one alone).
INTRO
exit $fail
