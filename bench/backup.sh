#!/bin/sh
# bench/backup.sh - foobar-backup on N guestbook messages (1 million by
# default) against the floor: `mariadb-dump --single-transaction | zstd`
# for create and `zstd -dc | mariadb` into a fresh database for restore.
# Also the longest write stall during create: POSTs through webd and appd
# (two clients in a loop) before and during create, longest answer time of
# each window. Prints a table with ratios and writes its section of
# bench/RESULTS.md.
# usage: bench/backup.sh [O]   Env: N (messages, 1000000).
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$(cd "${1:-build}" && pwd)/bin}
OBJ=$(cd "$BIN/.." && pwd)
N=${N:-1000000}
[ -x "$BIN/foobar-backup" ] || { echo "no $BIN/foobar-backup" >&2; exit 1; }
. "$SRCDIR/tests/lib/mariadb.sh"
MDB_ARGS=${MDB_ARGS:---innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=256M}
MDB_DIR=$(mktemp -d /tmp/backup-bench.XXXXXX) || exit 1
T=$MDB_DIR
PIDS=""
cleanup() {
	touch "$T/load.stop"
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	mariadb_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mariadb_start || exit 1

ms() { echo $(($(date +%s%N) / 1000000)); }
sql() { mariadb_sql "$@"; }

sql "CREATE DATABASE foobar CHARACTER SET utf8mb4" || exit 1
mariadb_write_cnf "$T/db.cnf" foobar
"$BIN/foobar-dbmigrate" -c "$T/db.cnf" -d "$SRCDIR/appd/migrations" up \
    >/dev/null || exit 1
t0=$(ms)
sql "USE foobar; INSERT INTO messages (name, text) \
    SELECT CONCAT('user', seq % 1000), CONCAT('message ', seq, ' ', \
    MD5(seq)) FROM seq_1_to_$N" || exit 1
echo "inserted $N messages in $(($(ms) - t0)) ms"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/appd.conf" <<E
[server]
listen = unix:$T/appd.sock
workers = 2
[app]
module = $OBJ/lib/apps/guestbook.so
[database]
option_file = $T/db.cnf
group = foobar
E
cat >"$T/webd.conf" <<E
[server]
listen = 127.0.0.1:$PORT
root = $SRCDIR/webd/www
access_log = off
[location /api/]
fastcgi_pass = unix:$T/appd.sock
E
"$BIN/foobar-appd" -c "$T/appd.conf" >"$T/appd.log" 2>&1 &
PIDS="$PIDS $!"
"$BIN/foobar-webd" -c "$T/webd.conf" >"$T/webd.log" 2>&1 &
PIDS="$PIDS $!"
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/health" ||
    [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done

cat >"$T/backup.conf" <<E
[backup]
dir = $T/bk
textfile = off
scratch_dir = $T
[database]
option_file = $T/db.cnf
user =
[restore]
migrations = $SRCDIR/appd/migrations
stop_app = true
start_app = true
migrate = true
E

# poster FILE: POSTs until load.stop, "end_ms seconds status" per line.
poster() {
	while [ ! -e "$T/load.stop" ]; do
		r=$(curl -s -m 30 -o /dev/null -w '%{http_code} %{time_total}' \
		    -H 'Content-Type: application/json' \
		    -d '{"name":"bench","text":"during the backup"}' \
		    "http://127.0.0.1:$PORT/api/messages")
		echo "$(ms) ${r#* } ${r%% *}"
	done >>"$1"
}
# window FILE FROM TO: "count longest failed" of the POSTs ended in it.
window() {
	awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b { n++; if ($2 > m) m = $2;
	    if ($3 != 201) f++ } END { printf "%d %.3f %d\n", n, m, f }' "$1"
}
poster "$T/p1" &
PIDS="$PIDS $!"
poster "$T/p2" &
PIDS="$PIDS $!"
sleep 2
b0=$(ms)
sleep 10
b1=$(ms)
c0=$(ms)
"$BIN/foobar-backup" -c "$T/backup.conf" create >"$T/create.out" 2>&1 ||
    { cat "$T/create.out"; exit 1; }
c1=$(ms)
sleep 1
touch "$T/load.stop"
sleep 1
cat "$T/p1" "$T/p2" >"$T/posts"
set -- $(window "$T/posts" "$b0" "$b1")
base_n=$1 base_max=$2 base_fail=$3
set -- $(window "$T/posts" "$c0" "$c1")
during_n=$1 during_max=$2 during_fail=$3
file=$(grep '^/' "$T/create.out")
size=$(stat -c %s "$file")
create_ms=$((c1 - c0))

t0=$(ms)
mariadb-dump --no-defaults -uroot --socket="$MDB_SOCK" --single-transaction \
    --quick --routines --triggers --hex-blob foobar | zstd -q -3 \
    >"$T/floor.sql.zst" || exit 1
floor_create_ms=$(($(ms) - t0))

t0=$(ms)
"$BIN/foobar-backup" -c "$T/backup.conf" verify >/dev/null 2>&1 || exit 1
verify_ms=$(($(ms) - t0))

t0=$(ms)
"$BIN/foobar-backup" -c "$T/backup.conf" --yes restore "$file" \
    >/dev/null 2>&1 || exit 1
restore_ms=$(($(ms) - t0))

sql "CREATE DATABASE floor CHARACTER SET utf8mb4"
t0=$(ms)
zstd -dc "$T/floor.sql.zst" | mariadb --no-defaults -uroot \
    --socket="$MDB_SOCK" floor || exit 1
floor_restore_ms=$(($(ms) - t0))

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat >"$T/table" <<E
| $N messages | foobar-backup | floor | ratio |
|---|---|---|---|
| create (dump, zstd, hashes, fsync) | $create_ms ms | $floor_create_ms ms (\`mariadb-dump --single-transaction \\| zstd -3\`) | $(ratio $create_ms $floor_create_ms) |
| restore (staging load, re-dump and compare, swap) | $restore_ms ms | $floor_restore_ms ms (\`zstd -dc \\| mariadb\`) | $(ratio $restore_ms $floor_restore_ms) |
| verify (scratch server, load, re-dump and compare) | $verify_ms ms | | |
| backup size | $size bytes | $(stat -c %s "$T/floor.sql.zst") bytes | |
| POSTs, 10 s before create: count, longest, failed | $base_n, ${base_max} s, $base_fail | | |
| POSTs during create: count, longest, failed | $during_n, ${during_max} s, $during_fail | | |
E
cat "$T/table"

results=${RESULTS:-$SRCDIR/bench/RESULTS.md}
python3 - "$results" "$T/table" "$N" <<'PY'
import datetime, os, platform, re, sys
path, table, n = sys.argv[1:4]
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
body = open(table).read().rstrip("\n")
section = f"""<!-- backup begin -->
## backup: create, verify, restore (bench/backup.sh)

{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({cpu}),
kernel {platform.release()}; a private MariaDB with
`innodb_flush_log_at_trx_commit=1`, {n} guestbook messages. The POSTs go
through webd and appd (two curl clients in a loop) while `create` runs:
the longest answer is the longest write stall the backup caused. One run,
on a machine shared with other jobs: the times are indicative.

{body}
<!-- backup end -->
"""
text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
pat = re.compile(r"<!-- backup begin -->.*?<!-- backup end -->\n?", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
echo "written to $results"
