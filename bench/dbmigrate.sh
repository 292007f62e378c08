#!/bin/sh
# bench/dbmigrate.sh - foobar-dbmigrate up vs. the floor: the same SQL piped
# through the mariadb client. 500 small generated migrations (a table and
# a row each), each side into a fresh database of one private MariaDB,
# 3 rounds interleaved, medians compared; writes its section of
# bench/RESULTS.md. Target: ratio <= 1.2.
# usage: bench/dbmigrate.sh [O]   (programs in O/bin, default build/bin;
# BIN overrides). Env: N (migrations, 500), ROUNDS (3).
set -u
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$(cd "${1:-build}" && pwd)/bin}
DBM=$BIN/foobar-dbmigrate
N=${N:-500}
ROUNDS=${ROUNDS:-3}
[ -x "$DBM" ] || { echo "no $DBM; run make first" >&2; exit 1; }
. "$SRCDIR/tests/lib/mariadb.sh"
# MariaDB's default durability (a log flush per commit), not the tests'.
MDB_ARGS=${MDB_ARGS:---innodb-flush-log-at-trx-commit=1}
MDB_DIR=$(mktemp -d /tmp/dbm-bench.XXXXXX) || exit 1
MDB_OWN_DIR=1
trap mariadb_cleanup EXIT
trap 'exit 1' INT TERM
mariadb_start || exit 1

MIG=$MDB_DIR/mig
mkdir "$MIG"
i=1
while [ $i -le "$N" ]; do
	v=$((1000 + i))
	printf -- '-- migration %d\nCREATE TABLE t%d (id INT PRIMARY KEY, v VARCHAR(32));\nINSERT INTO t%d VALUES (1, '\''row %d'\'');\n' \
	    $i $i $i $i >"$MIG/${v}_t$i.up.sql"
	i=$((i + 1))
done
# The floor's input: every up file in version order (names sort as numbers:
# all versions have the same number of digits).
cat "$MIG"/*.up.sql >"$MDB_DIR/all.sql"

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

median() {
	tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 }
	    END { print a[int((NR + 1) / 2)] }'
}

# InnoDB's data and log fsyncs so far: the server work, free of the noise.
fsyncs() {
	mariadb_sql "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('INNODB_DATA_FSYNCS', 'INNODB_OS_LOG_FSYNCS')"
}

run_floor() {
	f0=$(fsyncs)
	t0=$(now_ms)
	mariadb --no-defaults -uroot --socket="$MDB_SOCK" "floor$r" \
	    <"$MDB_DIR/all.sql" || exit 1
	t1=$(now_ms)
	floor_ms="$floor_ms $((t1 - t0))"
	floor_fs="$floor_fs $(($(fsyncs) - f0))"
}

run_dbm() {
	mariadb_write_cnf "$MDB_DIR/dbm$r.cnf" "dbm$r"
	f0=$(fsyncs)
	t0=$(now_ms)
	"$DBM" -c "$MDB_DIR/dbm$r.cnf" -d "$MIG" --metrics-file off up \
	    >/dev/null || exit 1
	t1=$(now_ms)
	dbm_ms="$dbm_ms $((t1 - t0))"
	dbm_fs="$dbm_fs $(($(fsyncs) - f0))"
	n=$(mariadb_sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'dbm$r'")
	[ "$n" = $((N + 1)) ] || { echo "dbm$r has $n tables" >&2; exit 1; }
}

# Side by side: the order alternates between rounds, so that neither side
# always meets the fuller server.
floor_ms="" floor_fs=""
dbm_ms="" dbm_fs=""
r=1
while [ $r -le "$ROUNDS" ]; do
	mariadb_sql "CREATE DATABASE floor$r; CREATE DATABASE dbm$r" || exit 1
	if [ $((r % 2)) = 1 ]; then
		run_floor
		run_dbm
	else
		run_dbm
		run_floor
	fi
	r=$((r + 1))
done
fm=$(echo "$floor_ms" | median)
dm=$(echo "$dbm_ms" | median)
ratio=$(awk -v d="$dm" -v f="$fm" 'BEGIN { printf "%.2f", d / f }')
ff=$(echo "$floor_fs" | median)
df=$(echo "$dbm_fs" | median)
fratio=$(awk -v d="$df" -v f="$ff" 'BEGIN { printf "%.2f", d / f }')
list() {
	echo "$1" | sed 's/^ //; s/ /, /g'
}
table="| | wall time, median (ms) | runs (ms) | InnoDB fsyncs, median |
|---|---:|---|---:|
| \`mariadb\` client, the floor | $fm | $(list "$floor_ms") | $ff |
| \`foobar-dbmigrate up\` | $dm | $(list "$dbm_ms") | $df |
| **ratio** (target ≤ 1.2) | **$ratio** | | $fratio |"
echo "dbmigrate: $N migrations, $ROUNDS rounds"
echo "$table"

results=$SRCDIR/bench/RESULTS.md
[ -f "$results" ] || printf '# Benchmark results\n' >"$results"
echo "$table" >"$MDB_DIR/table"
python3 - "$results" "$MDB_DIR/table" "$N" "$ROUNDS" \
    "MariaDB $(mariadb_sql 'SELECT VERSION()')" <<'PY'
import datetime, os, platform, re, sys
path, table, n, rounds, server = sys.argv[1:6]
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
body = open(table).read().rstrip("\n")
section = f"""<!-- dbmigrate begin -->
## dbmigrate: applying migrations (bench/dbmigrate.sh)

{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({cpu}),
kernel {platform.release()}; {server.strip()}, a private instance on a Unix
socket with `innodb_flush_log_at_trx_commit=1` (the default: a log flush
per commit). {n} generated migrations, each a
`CREATE TABLE` and an `INSERT`: `foobar-dbmigrate up` (which also checks
the files, takes the lock and keeps `dbmigrate_history`) against `cat
*.up.sql | mariadb` into a fresh database, {rounds} rounds with the order
alternating, medians. The time goes to the server's DDL and its fsyncs;
dbmigrate's history writes share the migrations' commits (`up` runs with
autocommit off; a separate commit per history write cost 25% more fsyncs
before that change). The fsync counts are the
server's (InnoDB data + log, background flushing included); the wall
times are noisy, as the other engineers' jobs share the 2 cores and the
disk.

{body}
<!-- dbmigrate end -->
"""
text = open(path).read()
pat = re.compile(r"<!-- dbmigrate begin -->.*?<!-- dbmigrate end -->\n?", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
PY
echo "written to $results"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.2) }'
