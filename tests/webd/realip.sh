#!/bin/bash
# webd.conf trusted_proxy: a request from a trusted proxy is logged with
# the last address of the last X-Forwarded-For header (the one the proxy
# added); from any other peer the header is ignored.
set -u
BIN=${BIN:-$(pwd)/build/bin}
WEBD=$BIN/foobar-webd
tmp=$(mktemp -d /tmp/webd-realip.XXXXXX)
pid=
fail=0
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/root"
echo hi >"$tmp/root/index.html"

# start TRUSTED: webd trusting TRUSTED as a proxy, logging to access.log
start() {
	[ -n "$pid" ] && kill "$pid" && wait "$pid" 2>/dev/null
	: >"$tmp/access.log"
	printf '[server]\nlisten = 127.0.0.1:%s\nroot = %s\naccess_log = %s\ntrusted_proxy = %s\n' \
	    "$port" "$tmp/root" "$tmp/access.log" "$1" >"$tmp/webd.conf"
	"$WEBD" -c "$tmp/webd.conf" 2>"$tmp/webd.err" &
	pid=$!
	for _ in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
		sleep 0.1
	done
	echo "webd did not start: $(cat "$tmp/webd.err")"
	exit 1
}

# logged_as WANT CURL-ARGS...: the request's log line starts with WANT.
logged_as() {
	local want=$1 line
	shift
	: >"$tmp/access.log"
	curl -s -o /dev/null "$@" "http://127.0.0.1:$port/index.html"
	for _ in $(seq 50); do
		line=$(grep 'index.html' "$tmp/access.log" | tail -n 1)
		[ -n "$line" ] && break
		sleep 0.1
	done
	if [ "${line%% *}" = "$want" ]; then
		ok "logged as $want: $*"
	else
		bad "want $want, got \"$line\" for $*"
	fi
}

start 127.0.0.1
logged_as 192.0.2.9 -H 'X-Forwarded-For: 192.0.2.9'
logged_as 192.0.2.9 -H 'X-Forwarded-For: 1.2.3.4, 192.0.2.9'
# the client's own header comes first; HAProxy adds its own after it
logged_as 192.0.2.9 -H 'X-Forwarded-For: 6.6.6.6' \
    -H 'X-Forwarded-For: 192.0.2.9'
logged_as 127.0.0.1 -H 'X-Forwarded-For: not-an-address'
logged_as 127.0.0.1
start 127.0.0.2
logged_as 127.0.0.1 -H 'X-Forwarded-For: 192.0.2.9'
[ $fail = 0 ] || exit 1
