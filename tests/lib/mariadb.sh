# tests/lib/mariadb.sh - a private MariaDB server for tests (sourced, POSIX sh).
#
# Usage:
#	. "$SRCDIR/tests/lib/mariadb.sh"
#	MDB_DIR=$(mktemp -d)          # everything lives here (optional:
#	                              # mariadb_start makes one when unset)
#	trap mariadb_cleanup EXIT     # stops the server, removes MDB_DIR
#	mariadb_start || exit 1       # install-db + mariadbd, waits for socket
#	mariadb_sql 'CREATE DATABASE t'    # runs SQL as root over the socket
#	mariadb_write_cnf "$MDB_DIR/db.cnf" t   # option file: [client]+[foobar]
#	mariadb_stop                  # stops by PID (bounded wait)
#	mariadb_restart || exit 1     # stop + start on the same data
#
# After mariadb_start: MDB_SOCK (Unix socket), MDB_PID (server PID),
# MDB_DATA (data dir), MDB_LOG (error log). The server has no networking,
# root authenticates without a password (normal auth, empty password).
# MDB_WAIT (seconds, default 60) bounds every wait. MDB_ARGS: more mariadbd
# options (they override the defaults below, e.g. the relaxed flushing).

mariadb_start() {
	if [ -z "${MDB_DIR:-}" ]; then
		MDB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mdb.XXXXXX") || return 1
		MDB_OWN_DIR=1
	fi
	MDB_DATA=$MDB_DIR/data
	MDB_SOCK=$MDB_DIR/mysql.sock
	MDB_LOG=$MDB_DIR/mariadbd.log
	MDB_PIDFILE=$MDB_DIR/mariadbd.pid
	if [ ! -d "$MDB_DATA/mysql" ]; then
		mariadb-install-db --no-defaults \
		    --auth-root-authentication-method=normal \
		    --skip-test-db --user="$(id -un)" \
		    --datadir="$MDB_DATA" >"$MDB_DIR/install.log" 2>&1 || {
			echo "mariadb-install-db failed:" >&2
			tail -n 20 "$MDB_DIR/install.log" >&2
			return 1
		}
	fi
	_mdb_user=""
	[ "$(id -u)" = 0 ] && _mdb_user="--user=root"
	# shellcheck disable=SC2086
	mariadbd --no-defaults --datadir="$MDB_DATA" --socket="$MDB_SOCK" \
	    --skip-networking --pid-file="$MDB_PIDFILE" $_mdb_user \
	    --log-error="$MDB_LOG" --innodb-buffer-pool-size=32M \
	    --innodb-log-file-size=16M --skip-log-bin \
	    --innodb-flush-log-at-trx-commit=2 --skip-name-resolve \
	    ${MDB_ARGS:-} </dev/null >/dev/null 2>&1 &
	MDB_PID=$!
	_mdb_n=0
	while [ $_mdb_n -lt $((${MDB_WAIT:-60} * 10)) ]; do
		if [ -S "$MDB_SOCK" ] && mariadb --no-defaults -uroot \
		    --socket="$MDB_SOCK" -e 'SELECT 1' >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$MDB_PID" 2>/dev/null; then
			echo "mariadbd exited during start-up:" >&2
			tail -n 20 "$MDB_LOG" >&2
			MDB_PID=""
			return 1
		fi
		sleep 0.1
		_mdb_n=$((_mdb_n + 1))
	done
	echo "mariadbd: no socket after ${MDB_WAIT:-60}s" >&2
	tail -n 20 "$MDB_LOG" >&2
	mariadb_stop
	return 1
}

# Stops the server started by mariadb_start: SIGTERM, bounded wait, then
# SIGKILL. Safe to call when nothing runs.
mariadb_stop() {
	[ -n "${MDB_PID:-}" ] || return 0
	kill "$MDB_PID" 2>/dev/null
	_mdb_n=0
	while kill -0 "$MDB_PID" 2>/dev/null &&
	    [ $_mdb_n -lt $((${MDB_WAIT:-60} * 10)) ]; do
		sleep 0.1
		_mdb_n=$((_mdb_n + 1))
	done
	if kill -0 "$MDB_PID" 2>/dev/null; then
		kill -9 "$MDB_PID" 2>/dev/null
	fi
	wait "$MDB_PID" 2>/dev/null
	MDB_PID=""
	return 0
}

mariadb_restart() {
	mariadb_stop
	mariadb_start
}

# Runs SQL (arguments joined) as root; output in batch mode, no headers.
mariadb_sql() {
	mariadb --no-defaults -uroot --socket="$MDB_SOCK" -N -B -e "$*"
}

# Writes a MySQL option file for our programs: FILE DATABASE [USER].
mariadb_write_cnf() {
	cat >"$1" <<EOF
[client]
socket=$MDB_SOCK
user=${3:-root}

[foobar]
database=$2
EOF
}

# For trap ... EXIT: stops the server and removes the directory when
# mariadb_start created it.
mariadb_cleanup() {
	mariadb_stop
	if [ -n "${MDB_OWN_DIR:-}" ] && [ -n "${MDB_DIR:-}" ]; then
		rm -rf "$MDB_DIR"
	fi
}
