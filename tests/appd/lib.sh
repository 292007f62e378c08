# tests/appd/lib.sh - shared set-up of appd's integration tests (sourced).
# Gives: a private MariaDB with the guestbook schema migrated by the built
# foobar-dbmigrate ($CNF), appd_start/appd_stop, fcgi (tests/appd/fcgi.py),
# check/fail helpers and a summary at exit.
set -u
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$SRCDIR/build/bin}
APPD=$BIN/foobar-appd
GUESTBOOK=$(cd "$BIN/.." && pwd)/lib/apps/guestbook.so
# Debian's python3 (a pyenv shim in PATH costs a second per call).
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
FCGI="$PY $SRCDIR/tests/appd/fcgi.py"
. "$SRCDIR/tests/lib/mariadb.sh"

T=$(mktemp -d /tmp/appd-test.XXXXXX) || exit 1
MDB_DIR=$T/mdb
mkdir -p "$MDB_DIR" "$T/cgi"
SOCK=$T/appd.sock
APPD_PID=""
BGPIDS=""
fails=0
checks=0

appd_cleanup() {
	for p in $BGPIDS; do kill "$p" 2>/dev/null; done
	[ -n "$APPD_PID" ] && appd_stop
	mariadb_stop
	if [ "$fails" -eq 0 ]; then
		rm -rf "$T"
	else
		echo "left $T for inspection"
	fi
}
trap appd_cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# check NAME COMMAND...: runs the command, counts a failure when it fails.
check() {
	_name=$1
	shift
	checks=$((checks + 1))
	if "$@"; then
		echo "ok   $_name"
	else
		fail "$_name"
	fi
}

finish() {
	# a sanitizer build (make sanitize-style O=) reports into the log
	if grep -q "AddressSanitizer\|runtime error:" "$T"/*.log 2>/dev/null; then
		grep -h -A5 "AddressSanitizer\|runtime error:" "$T"/*.log | head -n 40
		fail "sanitizer report in the logs"
	fi
	echo "appd tests: $checks checks, $fails failed"
	[ "$fails" -eq 0 ]
}

# The database, migrated with dbmigrate.
db_setup() {
	mariadb_start || exit 1
	mariadb_sql 'CREATE DATABASE gb CHARACTER SET utf8mb4' || exit 1
	CNF=$T/db.cnf
	mariadb_write_cnf "$CNF" gb
	"$BIN/foobar-dbmigrate" -c "$CNF" -d "$SRCDIR/appd/migrations" \
	    --metrics-file off up \
	    >"$T/migrate.log" 2>&1 || {
		cat "$T/migrate.log"
		exit 1
	}
}

# appd_conf [KEY=VALUE in [server]...]: writes $T/appd.conf.
appd_conf() {
	{
		echo "[server]"
		echo "listen = unix:$SOCK"
		echo "status_path = /appd-status"
		for kv in "$@"; do
			echo "${kv%%=*} = ${kv#*=}"
		done
		echo "[app]"
		echo "module = $GUESTBOOK"
		echo "[cgi]"
		echo "prefix = /cgi-bin/"
		echo "root = $T/cgi"
		echo "timeout = ${CGI_TIMEOUT:-10}"
		echo "max_output = ${CGI_MAX_OUTPUT:-64m}"
		echo "[database]"
		echo "option_file = ${CNF:-$T/none.cnf}"
		echo "group = foobar"
	} >"$T/appd.conf"
}

# Waits until the status page shows N idle or busy workers (bounded).
appd_wait_workers() {
	_i=0
	while [ $_i -lt 100 ]; do
		_n=$($FCGI "$SOCK" GET /appd-status 2>/dev/null |
		    awk '/^idle processes:/ { i = $3 } /^active processes:/ \
		    { a = $3 } END { print i + a }')
		[ "${_n:-0}" -ge "$1" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "appd: $1 workers not up" >&2
	return 1
}

appd_start() {
	"$APPD" -c "$T/appd.conf" >>"$T/appd.log" 2>&1 &
	APPD_PID=$!
	_i=0
	while [ ! -S "$SOCK" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	appd_wait_workers "${1:-1}"
}

appd_stop() {
	kill "$APPD_PID" 2>/dev/null
	# bounded: SIGKILL after 15 s (wait also reaps an appd already dead)
	( sleep 15; kill -9 "$APPD_PID" 2>/dev/null ) &
	_killer=$!
	wait "$APPD_PID" 2>/dev/null
	kill "$_killer" 2>/dev/null
	APPD_PID=""
}

# worker_pids: pids of appd's workers.
worker_pids() {
	pgrep -P "$APPD_PID" | tr '\n' ' '
}
