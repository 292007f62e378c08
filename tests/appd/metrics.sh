#!/bin/sh
# tests/appd/metrics.sh - /metrics of foobar-webd and foobar-appd and the
# node-exporter textfiles of foobar-dbmigrate and foobar-dns, on a real
# stack (private MariaDB, appd with guestbook.so, webd), checked by
# Debian's promtool and scraped by Debian's prometheus run privately with
# the example configuration and rules (/usr/share/doc/foobar/examples):
# counters exact under concurrency, across worker replacement
# (max_requests) and SIGHUP, and the "database down" alert firing.
. "$(dirname "$0")/lib.sh"

freeport() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])'
}
APORT=$(freeport)
WPORT=$(freeport)
PPORT=$(freeport)
EX=$SRCDIR/etc/prometheus
PROM_PID=""

db_setup
appd_conf workers=2 max_requests=7
printf '[metrics]\nlisten = 127.0.0.1:%s\n' "$APORT" >>"$T/appd.conf"
appd_start 2 || exit 1
. "$(dirname "$0")/http.sh"
cat >"$T/webd.conf" <<E
[server]
listen = 127.0.0.1:$PORT
root = $SRCDIR/webd/www
index = index.html
access_log = off
threads = 2
[metrics]
listen = 127.0.0.1:$WPORT
[location /api/]
fastcgi_pass = unix:$SOCK
E
front_start "$T/webd.log" / "$BIN/foobar-webd" -c "$T/webd.conf"
WEBD_PID=${BGPIDS##* }

# val PORT SERIES: the value of one series of a scrape ("" when absent).
val() {
	curl -s "http://127.0.0.1:$1/metrics" |
	    awk -v k="$2" '$1 == k { print $2; exit }'
}
WSTATIC='foobar_webd_http_requests_total{location="static",code_class="2xx"}'
WAPI='foobar_webd_http_requests_total{location="/api/",code_class="2xx"}'
A2XX='foobar_appd_requests_total{code_class="2xx"}'
ARELOAD='foobar_appd_worker_restarts_total{cause="reload"}'
AMAXREQ='foobar_appd_worker_restarts_total{cause="max_requests"}'

# --- the endpoints
for mp in "$WPORT webd" "$APORT appd"; do
	mport=${mp% *}
	mname=${mp#* }
	curl -s -D "$T/mhead" "http://127.0.0.1:$mport/metrics" \
	    >"$T/$mname.prom"
	check "$mname /metrics passes promtool check metrics" eval \
	    'promtool check metrics <"$T/$mname.prom" >"$T/promtool.out" \
	    2>&1 || { cat "$T/promtool.out"; false; }'
	check "$mname /metrics is text format 0.0.4" grep -qi \
	    '^content-type: text/plain; version=0.0.4' "$T/mhead"
	check "$mname metrics port: other paths 404" eval '[ "$(curl -s -o \
	    /dev/null -w "%{http_code}" "http://127.0.0.1:$mport/")" = 404 ]'
done
check "webd: /metrics not on the public port" eval '[ "$(curl -s -o \
    /dev/null -w "%{http_code}" "$URL/metrics")" = 404 ]'
check "appd: listen queue measured (sock_diag)" grep -q \
    '^foobar_appd_listen_queue_length 1024$' "$T/appd.prom"

# --- exact under concurrency, worker replacement and SIGHUP
w0=$(val "$WPORT" "$WSTATIC")
wa0=$(val "$WPORT" "$WAPI")
a0=$(val "$APORT" "$A2XX")
seq 150 | xargs -P 8 -I{} curl -s -o /dev/null "$URL/index.html?{}"
kill -HUP "$WEBD_PID"
seq 150 | xargs -P 8 -I{} curl -s -o /dev/null "$URL/index.html?{}"
seq 60 | xargs -P 6 -I{} curl -s -o /dev/null "$URL/api/health"
kill -HUP "$APPD_PID"
seq 60 | xargs -P 6 -I{} curl -s -o /dev/null "$URL/api/health"
i=0
while ! grep -q "reload done" "$T/appd.log" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
seq 20 | xargs -P 4 -I{} curl -s -o /dev/null "$URL/api/health"
check "webd: 300 concurrent static requests, a reload between, add \
exactly 300" eval \
    '[ "$(val "$WPORT" "$WSTATIC")" = $((w0 + 300)) ]'
check "webd: reloaded meanwhile" grep -q "configuration reloaded" \
    "$T/webd.log"
check "webd: 140 /api/ requests add exactly 140" eval \
    '[ "$(val "$WPORT" "$WAPI")" = $((wa0 + 140)) ]'
check "appd: 140 requests over 2 workers, replaced every 7, and a \
SIGHUP add exactly 140" eval '[ "$(val "$APORT" "$A2XX")" = $((a0 + 140)) ]'
# 140 requests, a worker lives 7: about 20 replacements, by max_requests
# or (the old generation) by the reload
check "appd: replaced workers counted" eval '[ $(($(val "$APORT" \
    "$AMAXREQ") + $(val "$APORT" "$ARELOAD"))) -ge 15 ]'
check "appd: duration histogram counts every request" eval '[ "$(val \
    "$APORT" foobar_appd_request_duration_seconds_count)" = "$(val "$APORT" \
    "$A2XX")" ]'

# --- every worker busy: the master still answers /metrics
printf '#!/bin/sh\nsleep 3\nprintf "Content-Type: text/plain\\r\\n\\r\\nok\\n"\n' \
    >"$T/cgi/sleep.sh"
chmod 755 "$T/cgi/sleep.sh"
$FCGI "$SOCK" GET /cgi-bin/sleep.sh >/dev/null 2>&1 &
s1=$!
$FCGI "$SOCK" GET /cgi-bin/sleep.sh >/dev/null 2>&1 &
s2=$!
BGPIDS="$BGPIDS $s1 $s2"
i=0
until [ "$(val "$APORT" 'foobar_appd_workers{state="busy"}')" = 2 ] ||
    [ $i -ge 40 ]; do
	sleep 0.05
	i=$((i + 1))
done
check "appd: /metrics answers at once while every worker is busy" eval \
    '[ "$(curl -s -m 1 "http://127.0.0.1:$APORT/metrics" | awk \
    "/^foobar_appd_workers{state=\"busy\"}/ { print \$2 }")" = 2 ]'
check "appd: all workers busy counted" eval '[ "$(val "$APORT" \
    foobar_appd_all_workers_busy_total)" -ge 1 ]'
wait "$s1" "$s2"

# --- the textfiles
mkdir -p "$T/textfile" "$T/mig"
cp "$SRCDIR"/appd/migrations/* "$T/mig/"
echo 'CREATE TABLE t2 (id INT);' >"$T/mig/2_t2.up.sql"
"$BIN/foobar-dbmigrate" -c "$CNF" -d "$T/mig" --metrics-file \
    "$T/textfile/foobar_dbmigrate.prom" status >/dev/null 2>&1
check "dbmigrate textfile: version 1, 1 pending, passes promtool" eval '
    grep -qx "foobar_dbmigrate_schema_version 1" \
    "$T/textfile/foobar_dbmigrate.prom" &&
    grep -qx "foobar_dbmigrate_pending_migrations 1" \
    "$T/textfile/foobar_dbmigrate.prom" &&
    promtool check metrics <"$T/textfile/foobar_dbmigrate.prom"'
"$BIN/foobar-dbmigrate" -c "$CNF" -d "$T/mig" --metrics-file \
    "$T/textfile/foobar_dbmigrate.prom" up >/dev/null 2>&1
check "dbmigrate textfile after up: version 2, none pending" eval '
    grep -qx "foobar_dbmigrate_schema_version 2" \
    "$T/textfile/foobar_dbmigrate.prom" &&
    grep -qx "foobar_dbmigrate_pending_migrations 0" \
    "$T/textfile/foobar_dbmigrate.prom" &&
    grep -qx "foobar_dbmigrate_last_run_success 1" \
    "$T/textfile/foobar_dbmigrate.prom"'
check "dbmigrate: a missing textfile folder fails no run" \
    "$BIN/foobar-dbmigrate" -c "$CNF" -d "$T/mig" --metrics-file \
    "$T/none/x.prom" status
printf '[zone]\ndomain = foobar.com\naddress = 192.0.2.1\noutput = %s\n' \
    "$T/z.zone" >"$T/dns.conf"
"$BIN/foobar-dns" -c "$T/dns.conf" --metrics-file \
    "$T/textfile/foobar_dns.prom" 2>/dev/null
serial=$(grep -o '20[0-9]\{8\}' "$T/z.zone" | head -n 1)
check "dns textfile: the zone's serial, passes promtool" eval '
    grep -qx "foobar_dns_zone_serial $serial" "$T/textfile/foobar_dns.prom" &&
    promtool check metrics <"$T/textfile/foobar_dns.prom"'

# --- a real Prometheus with the example config and rules. The rules'
# "for:" durations are set to 0s here (and the intervals to 1 s) so that
# the test does not wait minutes; everything else is the example's.
mkdir -p "$T/prom"
sed -e "s/15s/1s/" -e "s/127.0.0.1:9101/127.0.0.1:$WPORT/" \
    -e "s/127.0.0.1:9102/127.0.0.1:$APORT/" "$EX/prometheus.yml" \
    >"$T/prom/prometheus.yml"
sed -e 's/for: [0-9]*m/for: 0s/' -e 's/\[[0-9]*m\]/[20s]/' \
    "$EX/foobar-rules.yml" >"$T/prom/foobar-rules.yml"
check "example rules pass promtool check rules" \
    promtool check rules "$EX/foobar-rules.yml"
check "example config passes promtool check config" eval \
    '(cd "$EX" && promtool check config prometheus.yml) >/dev/null'
prometheus --config.file="$T/prom/prometheus.yml" \
    --storage.tsdb.path="$T/prom/data" \
    --web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
PROM_PID=$!
BGPIDS="$BGPIDS $PROM_PID"

# promq QUERY: the values of an instant query, space-separated ("none").
promq() {
	$PY - "$PPORT" "$1" <<'E' 2>/dev/null
import json, sys, urllib.parse, urllib.request
u = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1],
    urllib.parse.quote(sys.argv[2]))
r = json.load(urllib.request.urlopen(u, timeout=5))["data"]["result"]
print(" ".join(x["value"][1] for x in r) if r else "none")
E
}

# wait_promq QUERY WANT: polls until QUERY gives WANT (60 s at most).
wait_promq() {
	_i=0
	while [ $_i -lt 300 ]; do
		_got=$(promq "$1")
		[ "$_got" = "$2" ] && return 0
		sleep 0.2
		_i=$((_i + 1))
	done
	echo "  $1: got $_got, want $2"
	return 1
}

check "prometheus scrapes webd and appd" wait_promq \
    'sum(up{job=~"foobar-webd|foobar-appd"})' 2
W4='sum(foobar_webd_http_requests_total{code_class="4xx"})'
W5='sum(foobar_webd_fastcgi_errors_total{code="502"})'
s0=$(val "$WPORT" "$WSTATIC")
f0=$(curl -s "http://127.0.0.1:$WPORT/metrics" | awk '/^foobar_webd_http_requests_total.*"4xx"/ { n += $2 } END { print n }')
e0=$(curl -s "http://127.0.0.1:$WPORT/metrics" | awk '/^foobar_webd_fastcgi_errors_total.*"502"/ { n += $2 } END { print n }')
for i in 1 2 3 4 5; do curl -s -o /dev/null "$URL/"; done
for i in 1 2 3; do curl -s -o /dev/null "$URL/no-such-page-$i"; done
check "prometheus: 5 200s counted exactly" wait_promq \
    "$WSTATIC" $((s0 + 5))
check "prometheus: 3 404s counted exactly" wait_promq "$W4" $((f0 + 3))

# MariaDB stops: the health check fails and the alert fires.
mariadb_stop
for i in 1 2 3 4; do curl -s -o /dev/null "$URL/api/health"; done
check "prometheus: the FoobarDatabaseDown alert fires" wait_promq \
    'count(ALERTS{alertname="FoobarDatabaseDown",alertstate="firing"})' 1

# appd stops: webd answers 502, counted per backend.
appd_stop
for i in 1 2 3 4; do curl -s -o /dev/null "$URL/api/health"; done
check "prometheus: 4 502s counted exactly for the backend" wait_promq \
    "$W5" $((e0 + 4))
check "prometheus: FoobarSiteDown does not fire while webd answers" eval \
    '[ "$(promq "count(ALERTS{alertname=\"FoobarSiteDown\"})")" = none ]'
kill "$PROM_PID" 2>/dev/null
wait "$PROM_PID" 2>/dev/null
finish
