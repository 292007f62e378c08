#!/bin/bash
# Integration test of foobar-webd under systemd's protocols, without PID 1:
# the socket is passed by systemd-socket-activate (LISTEN_FDS), and the
# sd_notify datagrams (READY, STATUS, RELOADING, STOPPING, WATCHDOG) are
# received on a private NOTIFY_SOCKET.
set -u
BIN=${BIN:-$(pwd)/build/bin}
SRCDIR=${SRCDIR:-$(pwd)}
RAW="python3 $SRCDIR/tests/webd/raw.py"
tmp=$(mktemp -d /tmp/webd-sd.XXXXXX)
pid= npid=
pass=0 fail=0
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$npid" ] && kill "$npid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
port=$(freeport)
unused=$(freeport)
mkdir "$tmp/root"
echo hello >"$tmp/root/index.html"
cat >"$tmp/webd.conf" <<CONF
[server]
listen = 127.0.0.1:$unused
root = $tmp/root
CONF

$RAW notify "$tmp/notify" 30 >"$tmp/messages" &
npid=$!
for _ in $(seq 50); do [ -S "$tmp/notify" ] && break; sleep 0.1; done

systemd-socket-activate -l "127.0.0.1:$port" --fdname=http \
    -E NOTIFY_SOCKET="$tmp/notify" -E WATCHDOG_USEC=1000000 \
    "$BIN/foobar-webd" -c "$tmp/webd.conf" 2>"$tmp/log" &
pid=$!
sleep 0.5
# the first connection makes systemd-socket-activate exec webd
check "serves on the socket passed by systemd" [ "$(curl -s --max-time 5 "http://127.0.0.1:$port/")" = hello ]
check "adopted the named socket" grep -q 'serving 1 socket(s) from systemd' "$tmp/log"
check "did not bind listen itself" [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$unused/")" = 000 ]
wait_for() {
	for _ in $(seq 80); do
		grep -q "$1" "$tmp/messages" && return 0
		sleep 0.1
	done
	return 1
}
check "READY=1" wait_for '^READY=1'
check "WATCHDOG=1 pings" wait_for '^WATCHDOG=1'
check "STATUS= with connections and requests/s" wait_for '^STATUS=.*connections, .*requests/s'
kill -HUP "$pid"
check "RELOADING=1 on SIGHUP" wait_for '^RELOADING=1 MONOTONIC_USEC=[0-9]'
ready_twice() {
	for _ in $(seq 50); do
		[ "$(grep -c '^READY=1' "$tmp/messages")" -ge 2 ] && return 0
		sleep 0.1
	done
	return 1
}
check "READY=1 again after reload" ready_twice
check "still serving after reload" [ "$(curl -s --max-time 5 "http://127.0.0.1:$port/")" = hello ]
kill -TERM "$pid"
check "STOPPING=1 on SIGTERM" wait_for '^STOPPING=1'
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid"
check "exit status 0" [ $? -eq 0 ]
pid=
echo "webd systemd: $pass passed, $fail failed"
[ $fail -eq 0 ]
