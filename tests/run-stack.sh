#!/bin/bash
# make run: the whole stack from the work tree, in the foreground.
# A private MariaDB with its data in state/, migrations, appd, webd on
# http://127.0.0.1:8080 and the zone file. Ctrl-C stops everything this
# script started; the data stays in state/ for the next run. It touches no
# system service.
set -euo pipefail
O=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
obj=$(cd "$O" && pwd)
bin=$obj/bin
state=$top/state
run=$state/run
port=${FOOBAR_PORT:-8080}
mkdir -p "$state/mysql" "$run" "$state/dns" "$state/log"

pids=()
stop_all() {
	trap - INT TERM EXIT
	echo
	echo "stopping..."
	local i
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
	done
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		wait "${pids[i]}" 2>/dev/null || true
	done
	echo "stopped; data kept in $state"
}
trap stop_all INT TERM EXIT

# wait_for TEST-COMMAND... : up to 15 s.
wait_for() {
	local n=0
	until "$@" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt 150 ] && return 1
		sleep 0.1
	done
}

# MariaDB, private: its own datadir and socket, no TCP.
sock=$run/mysql.sock
user_opt=()
[ "$(id -u)" = 0 ] && user_opt=(--user=root)
if [ ! -d "$state/mysql/mysql" ]; then
	echo "creating the database in $state/mysql"
	mariadb-install-db --no-defaults --datadir="$state/mysql" \
	    "${user_opt[@]}" --auth-root-authentication-method=socket \
	    >"$state/log/mariadb-install.log" 2>&1
fi
mariadbd --no-defaults --datadir="$state/mysql" --socket="$sock" \
    --skip-networking --pid-file="$run/mysql.pid" "${user_opt[@]}" \
    --log-error="$state/log/mariadb.log" &
pids+=($!)
wait_for test -S "$sock" || { echo "mariadb did not start: see $state/log/mariadb.log"; exit 1; }
wait_for mariadb --no-defaults --socket="$sock" -e 'SELECT 1' >/dev/null
mariadb --no-defaults --socket="$sock" -e \
    "CREATE DATABASE IF NOT EXISTS foobar CHARACTER SET utf8mb4"

cat >"$state/db.cnf" <<CNF
[foobar]
socket = $sock
database = foobar
user = $(id -un)
CNF

"$bin/foobar-dbmigrate" -c "$state/db.cnf" -g foobar -d "$top/appd/migrations" \
    --metrics-file "$state/foobar_dbmigrate.prom" up

cat >"$state/appd.conf" <<CONF
[server]
listen = unix:$run/appd.sock
workers = 4
max_requests = 10000
request_timeout = 30

[app]
module = $obj/lib/apps/guestbook.so

[cgi]
prefix = /cgi-bin/
root = $top/appd/cgi-bin
timeout = 30

[database]
option_file = $state/db.cnf
group = foobar
CONF
"$bin/foobar-appd" -c "$state/appd.conf" &
pids+=($!)
wait_for test -S "$run/appd.sock" || { echo "appd did not start"; exit 1; }

cat >"$state/webd.conf" <<CONF
[server]
listen = 127.0.0.1:$port
root = $top/webd/www
index = index.html
access_log = stderr
max_body = 1m

[location /api/]
fastcgi_pass = unix:$run/appd.sock

[location /cgi-bin/]
fastcgi_pass = unix:$run/appd.sock
CONF
"$bin/foobar-webd" -c "$state/webd.conf" &
pids+=($!)
wait_for curl -fsS -o /dev/null "http://127.0.0.1:$port/" ||
    { echo "webd did not start"; exit 1; }

sed "s|^output *=.*|output = $state/dns/foobar.com.zone|" \
    "$top/etc/dns.conf" >"$state/dns.conf"
"$bin/foobar-dns" -c "$state/dns.conf" --metrics-file "$state/foobar_dns.prom"

cat <<MSG

foobar is running from the work tree:
  site        http://127.0.0.1:$port/   (guestbook API under /api/)
  database    $state/mysql (socket $sock)
  appd        $run/appd.sock
  zone        $state/dns/foobar.com.zone
  configs     $state/*.conf     logs: this terminal, $state/log/
Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}" || true
echo "a process of the stack exited"
