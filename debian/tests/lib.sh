# Shared by the foobar autopkgtests (sourced; the tests run from the top of
# the source tree). Every wait is bounded.

tmp=${AUTOPKGTEST_TMP:-$(mktemp -d)}
export DEBIAN_FRONTEND=noninteractive

fail() {
	echo "FAIL: $*"
	for u in ${FAIL_UNITS:-}; do
		journalctl -b -u "$u" --no-pager -n 30 2>/dev/null || true
	done
	exit 1
}

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_for() {
	_wn=$(($1 * 5)); shift
	while [ "$_wn" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		_wn=$((_wn - 1))
	done
	return 1
}

# code URL [CURL_ARGS...]: the HTTP status of a request (000 when none).
code() {
	_url=$1; shift
	curl -s -o "$tmp/body" -w '%{http_code}' --max-time 5 "$@" "$_url" ||
	    true
}

# ok URL: URL answers 200.
ok() {
	[ "$(code "$1")" = 200 ]
}

# ok_tls: https://127.0.0.1/ answers 200 (any certificate).
ok_tls() {
	[ "$(code https://127.0.0.1/ -k)" = 200 ]
}

# post NAME TEXT: post a guestbook message through webd; prints the status
# and leaves the answer in $tmp/body.
post() {
	code http://127.0.0.1/api/messages -H 'Content-Type: application/json' \
	    --data-binary "{\"name\":\"$1\",\"text\":\"$2\"}"
}

# has_message TEXT: the guestbook lists a message with TEXT.
has_message() {
	curl -s --max-time 5 'http://127.0.0.1/api/messages?limit=100' |
	    grep -q "\"$1\""
}

mainpid() {
	systemctl show -P MainPID "$1"
}

# user_of PID
user_of() {
	ps -o user= -p "$1" | tr -d ' '
}

active() {
	systemctl is-active --quiet "$@"
}

# elapsed_ms T0: milliseconds since T0 (from now_ms).
now_ms() {
	date +%s%3N
}
