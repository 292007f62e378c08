#!/bin/sh
# tests/appd/appd-faults.sh - foobar-appd under faults: kill -9 of a worker
# in the middle of a request, MariaDB stopped and restarted,
# request_timeout, max_requests replacement, FCGI_OVERLOADED when every
# worker is busy, respawn back-off, graceful SIGTERM.
. "$(dirname "$0")/lib.sh"

db_setup
cat >"$T/cgi/slow.sh" <<'S'
#!/bin/sh
sleep "${QUERY_STRING:-5}"
printf 'Content-Type: text/plain\r\n\r\nslow done\n'
S
chmod 755 "$T/cgi/slow.sh"
OUT=$T/out

# status KEY: a number from the status page.
status() {
	$FCGI "$SOCK" GET /appd-status | sed -n "s/^$1: //p"
}

health_ok() {
	$FCGI "$SOCK" GET /api/health >"$OUT" 2>&1 &&
	    grep -q "status=200" "$OUT"
}

# --- kill -9 of a worker in the middle of a request
CGI_TIMEOUT=30 appd_conf workers=2 request_timeout=30
appd_start 2 || exit 1
$FCGI "$SOCK" GET "/cgi-bin/slow.sh?5" >"$T/killed.out" 2>&1 &
cpid=$!
BGPIDS="$BGPIDS $cpid"
# the busy worker is the one running the script
i=0
busy=""
while [ -z "$busy" ] && [ $i -lt 50 ]; do
	for p in $(worker_pids); do
		pgrep -P "$p" >/dev/null && busy=$p
	done
	[ -n "$busy" ] || sleep 0.1
	i=$((i + 1))
done
check "found the busy worker" [ -n "$busy" ]
kill -9 "$busy"
wait "$cpid"
check "client of the killed worker gets an error" grep -q "protocol=eof" \
    "$T/killed.out"
check "next request succeeds" health_ok
i=0
while [ "$(status 'total processes')" != 2 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "worker count recovers to 2" [ "$(status 'total processes')" = 2 ]
check "the death is logged" grep -q "worker $busy killed by signal 9" \
    "$T/appd.log"
check "orphan CGI script is gone" eval '! pgrep -f "$T/cgi/slow.sh" >/dev/null'

# --- MariaDB stopped, then back
check "health ok before" health_ok
mariadb_stop
start=$(date +%s%N)
$FCGI "$SOCK" GET /api/health >"$OUT" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
check "health 503 db down in ${ms} ms" eval 'grep -q "status=503" "$OUT" &&
    grep -q "\"db\":\"down\"" "$OUT" && [ $ms -lt 1000 ]'
$FCGI "$SOCK" GET /api/messages >"$OUT" 2>&1
check "messages 503 while down" grep -q "status=503" "$OUT"
# timed inside one client, so that the client's start-up does not count
ms=$($PY - "$SOCK" "$SRCDIR/tests/appd" <<'P'
import sys, time
sys.path.insert(0, sys.argv[2])
import fcgi
t = time.time()
for i in range(10):
    proto, out, _ = fcgi.Conn(sys.argv[1]).request("GET", "/api/health")
    assert b"503" in out, out
print(int((time.time() - t) * 1000))
P
)
check "10 requests while down take ${ms} ms (fail fast)" [ "${ms:-9999}" -lt 2000 ]
mariadb_start || exit 1
start=$(date +%s)
i=0
until health_ok || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "health back within $(($(date +%s) - start)) s of restart" \
    eval 'health_ok && [ $i -lt 100 ]'
i=0
ok=0
while [ $i -lt 10 ]; do
	health_ok && ok=$((ok + 1))
	i=$((i + 1))
done
check "every worker reconnected (10/10 ok: $ok)" [ $ok = 10 ]

# --- MariaDB killed and back between two requests: every worker holds a
# connection the server has closed; the first request on each must not
# pay for it (no "server has gone away" 503).
for i in 1 2 3 4 5 6; do health_ok; done
kill -9 "$MDB_PID" 2>/dev/null
wait "$MDB_PID" 2>/dev/null
MDB_PID=""
mariadb_start || exit 1
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	$FCGI "$SOCK" GET /api/messages >"$OUT" 2>&1
	grep -q "status=200" "$OUT" && ok=$((ok + 1))
done
check "after a silent MariaDB restart the first requests answer (10/10: $ok)" \
    [ $ok = 10 ]
check "the closed connections are logged" \
    grep -q "database connection closed by the server" "$T/appd.log"
appd_stop

# --- request_timeout: the worker is killed, the client gets an error
CGI_TIMEOUT=30 appd_conf workers=2 request_timeout=1
appd_start 2 || exit 1
start=$(date +%s)
$FCGI "$SOCK" GET "/cgi-bin/slow.sh?20" >"$OUT" 2>&1
took=$(($(date +%s) - start))
check "request_timeout: client gets an error after ${took}s" eval \
    'grep -q "protocol=eof" "$OUT" && [ $took -le 4 ]'
check "request_timeout logged" grep -q "exceeded request_timeout, killed" \
    "$T/appd.log"
sleep 0.5
check "killed counter 1" [ "$(status killed)" = 1 ]
check "worker replaced at once" [ "$(status 'total processes')" = 2 ]
check "requests go on" health_ok
appd_stop

# --- max_requests: workers replaced, no request fails
appd_conf workers=2 max_requests=5
appd_start 2 || exit 1
before=$(worker_pids)
ok=0
for i in $(seq 1 30); do
	health_ok && ok=$((ok + 1))
done
after=$(worker_pids)
check "30/30 requests ok across replacements ($ok)" [ $ok = 30 ]
check "workers replaced ($before -> $after)" [ "$before" != "$after" ]
appd_stop

# --- FCGI_OVERLOADED when every worker stays busy
CGI_TIMEOUT=30 appd_conf workers=1 queue_timeout=300ms
appd_start 1 || exit 1
$FCGI "$SOCK" GET "/cgi-bin/slow.sh?3" >"$T/slow.out" 2>&1 &
cpid=$!
BGPIDS="$BGPIDS $cpid"
sleep 0.5
start=$(date +%s%N)
$FCGI "$SOCK" GET /api/health >"$OUT" 2>&1
ms=$((($(date +%s%N) - start) / 1000000))
check "overloaded: protocol 2 + 503 in ${ms} ms" eval \
    'grep -q "protocol=2 status=503" "$OUT" && grep -qi "^retry-after: 1" "$OUT" &&
    [ $ms -ge 250 ]'
$FCGI "$SOCK" GET "/appd-status?json" >"$OUT" 2>&1
check "status page answers while every worker is busy" eval \
    'grep -q "protocol=0 status=200" "$OUT" && grep -q "\"active processes\":1" "$OUT"'
wait "$cpid"
check "the busy request still completes" grep -q "slow done" "$T/slow.out"
check "overloaded counted" [ "$(status overloaded)" -ge 1 ]
check "not overloaded once idle" health_ok
appd_stop

# --- a module that cannot load: back-off, not a fork storm
appd_conf workers=2
sed -i "s|^module = .*|module = $T/missing.so|" "$T/appd.conf"
"$APPD" -c "$T/appd.conf" >>"$T/bad.log" 2>&1 &
APPD_PID=$!
sleep 3
n=$(grep -c "missing.so" "$T/bad.log")
check "module failure: back-off ($n failures in 3 s)" eval \
    '[ $n -ge 2 ] && [ $n -lt 40 ]'
appd_stop

# --- SIGTERM lets a running request finish
CGI_TIMEOUT=30 appd_conf workers=1
appd_start 1 || exit 1
$FCGI "$SOCK" GET "/cgi-bin/slow.sh?1" >"$T/slow.out" 2>&1 &
cpid=$!
i=0
until pgrep -f "$T/cgi/slow.sh" >/dev/null || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill "$APPD_PID"
wait "$cpid"
check "SIGTERM: the running request completes" grep -q "slow done" \
    "$T/slow.out"
i=0
while kill -0 "$APPD_PID" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "SIGTERM: appd exits" eval '! kill -0 "$APPD_PID" 2>/dev/null'
wait "$APPD_PID"
rc=$?
check "SIGTERM: exit status 0" [ $rc = 0 ]
APPD_PID=""
finish
