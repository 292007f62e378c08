#!/bin/sh
# tests/dbmigrate/itest-dbmigrate.sh - foobar-dbmigrate against a private MariaDB:
# every command, every failure path, DELIMITER, CRLF, failed migrations,
# out-of-order, racing runs, baseline, dry-run, down/redo, provision.
# Env: BIN (built programs), SRCDIR (repo top). Each case gets its own
# database and migrations folder.
set -u
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$SRCDIR/build/bin}
DBM=$BIN/foobar-dbmigrate
. "$SRCDIR/tests/lib/mariadb.sh"

MDB_DIR=$(mktemp -d /tmp/dbm-test.XXXXXX) || exit 1
MDB_OWN_DIR=1
BGPIDS=""
cleanup() {
	for p in $BGPIDS; do kill "$p" 2>/dev/null; done
	mariadb_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mariadb_start || exit 1
T=$MDB_DIR
OUT=$T/out
fails=0
ncase=0

fail() {
	echo "FAIL [$CASE]: $*"
	echo "---- last output:"
	sed 's/^/    /' "$OUT"
	fails=$((fails + 1))
}

# newdb NAME: a database, its option file ($CNF) and folder ($MIG).
newdb() {
	CASE=$1
	ncase=$((ncase + 1))
	echo "== $CASE"
	DB=$1
	mariadb_sql "CREATE DATABASE $DB" || exit 1
	CNF=$T/$DB.cnf
	MIG=$T/$DB.mig
	mkdir -p "$MIG"
	mariadb_write_cnf "$CNF" "$DB"
}

dbm() {
	timeout 60 "$DBM" -c "$CNF" -d "$MIG" --metrics-file off "$@"
}

# expect RC CMD...: runs a dbm command, output in $OUT.
expect() {
	want=$1
	shift
	dbm "$@" >"$OUT" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, want $want"
}

has() {
	grep -qF -- "$1" "$OUT" || fail "output lacks \"$1\""
}

hasnt() {
	! grep -qF -- "$1" "$OUT" || fail "output has \"$1\""
}

sql() {
	mariadb_sql "USE $DB; $*"
}

eq() {
	[ "$1" = "$2" ] || fail "$3: got \"$1\", want \"$2\""
}

# A dump of schema and history, to prove that nothing changed.
snapshot() {
	mariadb-dump --no-defaults -uroot --socket="$MDB_SOCK" --skip-dump-date \
	    --routines --triggers "$DB" 2>&1 | grep -v '^-- Dump completed'
}

# ---------------------------------------------------------------- basics
newdb basic
printf -- '-- users\nCREATE TABLE users (id INT PRIMARY KEY, name TEXT);\nINSERT INTO users VALUES (1, '\''a;b'\''), (2, '\''it'\'''\''s'\'');\n' \
    >"$MIG/1_users.up.sql"
echo 'DROP TABLE users;' >"$MIG/1_users.down.sql"
echo 'ALTER TABLE users ADD COLUMN email TEXT;' >"$MIG/2_email.up.sql"
echo 'ALTER TABLE users DROP COLUMN email;' >"$MIG/2_email.down.sql"
expect 3 status
has "2 pending, 0 failed"
expect 0 up
has "applied 1_users"
has "applied 2_email"
eq "$(sql 'SELECT name FROM users WHERE id = 2')" "it's" "quoted data"
eq "$(sql 'SELECT COUNT(*) FROM users')" 2 "rows"
eq "$(sql 'SELECT checksum FROM dbmigrate_history WHERE version = 1')" \
    "$(sha256sum <"$MIG/1_users.up.sql" | cut -d' ' -f1)" "checksum"
eq "$(sql 'SELECT CONCAT(version, name, success, action) FROM dbmigrate_history ORDER BY version' | tr '\n' ' ')" \
    "1users1up 2email1up " "history"
expect 0 status
has "0 pending, 0 failed, 0 changed"
expect 0 validate
has "2 applied migration(s) match"
hasnt "no primary key"
expect 0 up
has "nothing to apply (newest applied version: 2)"

# A table without a primary key: validate warns (Galera needs one) and
# still exits 0.
newdb nopk
printf 'CREATE TABLE keyed (id INT PRIMARY KEY);\nCREATE TABLE loose (id INT, UNIQUE KEY (id));\nCREATE VIEW v AS SELECT id FROM loose;\n' \
    >"$MIG/1_tables.up.sql"
expect 0 up
expect 0 validate
has "table loose has no primary key"
hasnt "table keyed"
hasnt "table v "
hasnt "table dbmigrate_"

# ---------------------------------------------------------- up --to, down
newdb downs
for v in 1 2 3 4; do
	echo "CREATE TABLE t$v (id INT);" >"$MIG/${v}_t$v.up.sql"
	echo "DROP TABLE t$v;" >"$MIG/${v}_t$v.down.sql"
done
expect 0 up --to 2
has "applied 2_t2"
hasnt "3_t3"
expect 3 status
expect 0 up
expect 0 down
has "reverted 4_t4"
eq "$(sql 'SELECT MAX(version) FROM dbmigrate_history')" 3 "after down"
expect 0 down 2
has "reverted 3_t3"
has "reverted 2_t2"
eq "$(sql "SHOW TABLES LIKE 't%'" | tr '\n' ' ')" "t1 " "tables after down 2"
expect 0 up
expect 0 down --to 1
eq "$(sql 'SELECT GROUP_CONCAT(version) FROM dbmigrate_history')" 1 \
    "after down --to 1"
expect 0 up
expect 0 redo
has "reverting 4_t4"
has "applied 4_t4"
eq "$(sql 'SELECT COUNT(*) FROM dbmigrate_history WHERE success = 1')" 4 \
    "after redo"
# A missing down file: refused before anything runs.
rm "$MIG/3_t3.down.sql"
expect 8 down 2
has "3_t3.down.sql does not exist"
hasnt "reverting"
eq "$(sql 'SELECT COUNT(*) FROM dbmigrate_history')" 4 "nothing reverted"
expect 0 down
expect 8 redo
has "3_t3.down.sql does not exist"
expect 0 down --to 4
has "nothing to revert"
expect 2 down 1 --to 2
expect 2 down 0
expect 2 down x

# --------------------------------------------- DELIMITER: procedure, trigger
newdb routines
cat >"$MIG/1_tables.up.sql" <<'EOF'
CREATE TABLE msgs (id INT AUTO_INCREMENT PRIMARY KEY, txt TEXT,
    len INT);
CREATE TABLE counter (n INT);
INSERT INTO counter VALUES (0);
EOF
cat >"$MIG/2_routines.up.sql" <<'EOF'
/*!40101 SET @saved = @@sql_mode */;
DELIMITER //
CREATE PROCEDURE add_msg(IN t TEXT)
BEGIN
  -- a comment; with a semicolon
  INSERT INTO msgs (txt) VALUES (t);
  SELECT LAST_INSERT_ID() AS id;
END //
CREATE TRIGGER msgs_len BEFORE INSERT ON msgs FOR EACH ROW
BEGIN
  SET NEW.len = CHAR_LENGTH(NEW.txt);
  UPDATE counter SET n = n + 1;
END//
DELIMITER ;
CALL add_msg('hello; world');
CALL add_msg("it's");
EOF
expect 0 up
eq "$(sql 'SELECT GROUP_CONCAT(len ORDER BY id) FROM msgs')" "12,4" "trigger"
eq "$(sql 'SELECT n FROM counter')" 2 "trigger counter"
eq "$(sql "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'routines'")" 1 "procedure"

# --------------------------------------------------------- CRLF and drift
newdb drift
printf 'CREATE TABLE a (id INT);\nINSERT INTO a VALUES (1);\n' >"$MIG/1_a.up.sql"
printf 'CREATE TABLE b (id INT);\n' >"$MIG/2_b.up.sql"
expect 0 up
sed 's/$/\r/' "$MIG/1_a.up.sql" >"$T/crlf" && mv "$T/crlf" "$MIG/1_a.up.sql"
grep -q "$(printf '\r')" "$MIG/1_a.up.sql" || fail "no CRLF in the file"
expect 0 validate
expect 0 status
expect 0 up
printf 'CREATE TABLE a (id BIGINT);\nINSERT INTO a VALUES (1);\n' >"$MIG/1_a.up.sql"
printf 'CREATE TABLE c (id INT);\n' >"$MIG/3_c.up.sql"
expect 5 validate
has "1_a.up.sql changed after it was applied"
expect 5 status
has "file CHANGED"
expect 5 up
has "repair"
eq "$(sql "SHOW TABLES LIKE 'c'")" "" "nothing applied after drift"
expect 0 repair
has "accepting the changed file 1_a.up.sql"
expect 0 validate
expect 0 up
has "applied 3_c"
# An applied file that vanished: validate and status report it.
rm "$MIG/2_b.up.sql"
expect 5 validate
has "2_b has no file"
expect 5 status
has "file missing"

# --------------------------------------- a failed migration blocks until repair
newdb failed
printf 'CREATE TABLE base (id INT);\n' >"$MIG/1_base.up.sql"
printf 'DROP TABLE base;\n' >"$MIG/1_base.down.sql"
printf -- '-- the first statement works\nCREATE TABLE kept AS SELECT 42 AS id;\nCREATE TABLE broken (id INT,, oops);\nCREATE TABLE never (id INT);\n' \
    >"$MIG/2_bad.up.sql"
printf 'CREATE TABLE later (id INT);\n' >"$MIG/3_later.up.sql"
expect 4 up
has "applied 1_base"
has "2_bad.up.sql:3: "
has "SQL syntax"
has "statement: CREATE TABLE broken (id INT,, oops)"
has "recorded as failed"
hasnt "3_later"
eq "$(sql 'SELECT id FROM kept')" 42 "first statement's data kept"
eq "$(sql "SHOW TABLES LIKE 'never'")" "" "later statement not run"
eq "$(sql 'SELECT CONCAT(success, action) FROM dbmigrate_history WHERE version = 2')" \
    "0up" "failed record"
sql 'SELECT error FROM dbmigrate_history WHERE version = 2' | grep -q '2_bad.up.sql:3:' ||
    fail "history error lacks file:line"
expect 4 up
has "failed while applying it (up)"
has "foobar-dbmigrate repair"
expect 4 down
expect 4 redo
expect 4 status
has "FAILED"
expect 4 validate
# The operator undoes the half-applied part and fixes the file.
sql 'DROP TABLE kept'
printf 'CREATE TABLE kept AS SELECT 42 AS id;\nCREATE TABLE fixed (id INT);\n' >"$MIG/2_bad.up.sql"
expect 0 repair
has "removing the failed record of 2_bad"
expect 0 up
has "applied 2_bad"
has "applied 3_later"
expect 0 status
# DML only: up runs with autocommit off; a failure still commits the
# record and what ran before it, as autocommit would have.
newdb faileddml
printf 'CREATE TABLE d (id INT);\n' >"$MIG/1_d.up.sql"
printf 'INSERT INTO d VALUES (1);\n' >"$MIG/2_d1.up.sql"
printf 'INSERT INTO d VALUES (2);\nINSERT INTO nosuch VALUES (3);\n' >"$MIG/3_d2.up.sql"
expect 4 up
has "3_d2.up.sql:2: Table 'faileddml.nosuch' doesn't exist"
eq "$(sql 'SELECT GROUP_CONCAT(id ORDER BY id) FROM d')" "1,2" "DML committed"
eq "$(sql 'SELECT GROUP_CONCAT(CONCAT(version, success)) FROM dbmigrate_history')" \
    "11,21,30" "history committed"
eq "$(sql 'SELECT @@autocommit')" 1 "sessions keep autocommit"
# A failed down is recorded too.
newdb faileddown
printf 'CREATE TABLE x (id INT);\n' >"$MIG/1_x.up.sql"
printf 'DROP TABLE nosuch;\n' >"$MIG/1_x.down.sql"
expect 0 up
expect 4 down
has "1_x.down.sql:1: "
expect 4 up
has "failed while reverting it (down)"
expect 0 repair
expect 3 status

# ------------------------------------------------------------ out of order
newdb outoforder
printf 'CREATE TABLE o1 (id INT);\n' >"$MIG/1_o1.up.sql"
printf 'CREATE TABLE o3 (id INT);\n' >"$MIG/3_o3.up.sql"
expect 0 up
printf 'CREATE TABLE o2 (id INT);\n' >"$MIG/2_o2.up.sql"
expect 3 status
has "pending (out of order)"
expect 7 up
has "2_o2.up.sql is older than the newest applied version 3"
has "--allow-out-of-order"
eq "$(sql "SHOW TABLES LIKE 'o2'")" "" "out-of-order not applied"
dbm --allow-out-of-order up >"$OUT" 2>&1 || fail "--allow-out-of-order up failed"
has "applied 2_o2"
expect 0 status

# ---------------------------------------------------------------- racing
newdb race
printf 'CREATE TABLE r (id INT);\nSELECT SLEEP(2);\nINSERT INTO r VALUES (1);\n' \
    >"$MIG/1_slow.up.sql"
dbm up >"$T/race1" 2>&1 &
p1=$!
dbm up >"$T/race2" 2>&1 &
p2=$!
BGPIDS="$p1 $p2"
wait $p1
rc1=$?
wait $p2
rc2=$?
BGPIDS=""
cat "$T/race1" "$T/race2" >"$OUT"
eq "$rc1 $rc2" "0 0" "both racing runs succeed"
eq "$(grep -c 'applied 1_slow' "$OUT")" 1 "exactly one run applies"
has "nothing to apply"
has "waiting up to 60 s for lock foobar-dbmigrate:race"
eq "$(sql 'SELECT COUNT(*) FROM r')" 1 "applied once"
# A shorter --lock-timeout: the second run gives up naming the holder.
printf 'SELECT SLEEP(3);\n' >"$MIG/2_slow2.up.sql"
dbm up >"$T/race1" 2>&1 &
p1=$!
BGPIDS=$p1
n=0
while [ "$(mariadb_sql "SELECT IS_USED_LOCK('foobar-dbmigrate:race')")" = NULL ] &&
    [ $n -lt 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
holder=$(mariadb_sql "SELECT IS_USED_LOCK('foobar-dbmigrate:race')")
dbm --lock-timeout 1 up >"$OUT" 2>&1
rc=$?
eq "$rc" 6 "lock timeout exit"
has "lock foobar-dbmigrate:race is held by connection $holder (root@localhost)"
has "gave up after 1 s"
wait $p1 || fail "the lock holder failed"
BGPIDS=""
eq "$(sql 'SELECT COUNT(*) FROM dbmigrate_history WHERE success = 1')" 2 \
    "holder finished"

# A run killed half way leaves a failed record. The server finishes the
# statement it was running, then ends the session and frees the lock.
newdb killed
printf 'CREATE TABLE k1 (id INT);\nSELECT SLEEP(3);\nCREATE TABLE k2 (id INT);\n' \
    >"$MIG/1_k.up.sql"
"$DBM" -c "$CNF" -d "$MIG" --metrics-file off up >"$T/killed" 2>&1 &
p1=$!
BGPIDS=$p1
n=0
while [ "$(sql "SHOW TABLES LIKE 'k1'")" = "" ] && [ $n -lt 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
kill -9 $p1
wait $p1 2>/dev/null
BGPIDS=""
expect 4 --lock-timeout 20 up
has "1_k failed while applying it (up)"
has "interrupted before it finished"
eq "$(sql "SHOW TABLES LIKE 'k2'")" "" "killed run stopped"

# ---------------------------------------------------------------- baseline
newdb baseline
sql 'CREATE TABLE legacy1 (id INT); CREATE TABLE legacy2 (id INT)'
printf 'CREATE TABLE legacy1 (id INT);\n' >"$MIG/1_legacy1.up.sql"
printf 'CREATE TABLE legacy2 (id INT);\n' >"$MIG/2_legacy2.up.sql"
printf 'CREATE TABLE fresh (id INT);\n' >"$MIG/3_fresh.up.sql"
expect 0 baseline 2
has "baseline 1_legacy1"
has "baseline 2_legacy2"
eq "$(sql 'SELECT GROUP_CONCAT(CONCAT(version, action)) FROM dbmigrate_history')" \
    "1baseline,2baseline" "baseline rows"
expect 3 status
has "baseline"
expect 0 up
has "applied 3_fresh"
hasnt "applied 1_"
expect 1 baseline 3
has "already has"
# A baseline version without a file of its own.
newdb baseline2
printf 'CREATE TABLE b1 (id INT);\n' >"$MIG/1_b1.up.sql"
printf 'CREATE TABLE b9 (id INT);\n' >"$MIG/9_b9.up.sql"
expect 0 baseline 5
has "baseline 5 (no file)"
expect 0 up
has "applied 9_b9"
hasnt "applied 1_b1"
expect 0 validate

# ------------------------------------------------------- dry-run changes nothing
newdb dry
printf 'CREATE TABLE d1 (id INT);\nINSERT INTO d1 VALUES (1);\n' >"$MIG/1_d1.up.sql"
printf 'DROP TABLE d1;\n' >"$MIG/1_d1.down.sql"
snapshot >"$T/before"
expect 0 --dry-run up
has "applying 1_d1 (dry run)"
has "1_d1.up.sql:2: INSERT INTO d1 VALUES (1)"
snapshot >"$T/after"
cmp -s "$T/before" "$T/after" || fail "dry-run up changed the schema"
eq "$(sql "SHOW TABLES")" "" "no history table after dry-run"
expect 0 --dry-run baseline 1
snapshot >"$T/after"
cmp -s "$T/before" "$T/after" || fail "dry-run baseline changed the schema"
expect 0 up
printf 'CREATE TABLE d2 (id INT);\n' >"$MIG/2_d2.up.sql"
printf 'DROP TABLE d2;\n' >"$MIG/2_d2.down.sql"
printf 'CREATE TABLE d1 (id BIGINT);\nINSERT INTO d1 VALUES (1);\n' >"$MIG/1_d1.up.sql"
snapshot >"$T/before"
for c in "up" "down" "redo" "repair"; do
	dbm --dry-run --allow-out-of-order $c >"$OUT" 2>&1
	snapshot >"$T/after"
	cmp -s "$T/before" "$T/after" || fail "dry-run $c changed the schema"
done
expect 0 --dry-run down
has "reverting 1_d1 (dry run)"
has "1_d1.down.sql:1: DROP TABLE d1"
expect 0 --dry-run repair
has "accepting the changed file 1_d1.up.sql (dry run)"

# ------------------------------------------------------------------- new
newdb newcmd
expect 0 --dry-run new dry_things
has "_dry_things.up.sql (dry run)"
eq "$(ls "$MIG")" "" "dry-run new created files"
expect 0 new add_things
has "$MIG/"
ls "$MIG" | grep -Eq '^[0-9]{14}_add_things\.up\.sql$' || fail "no up file"
ls "$MIG" | grep -Eq '^[0-9]{14}_add_things\.down\.sql$' || fail "no down file"
v=$(ls "$MIG" | sed -n 's/_add_things.up.sql$//p')
now=$(date -u +%Y%m%d%H%M%S)
[ $((now - v)) -ge 0 ] && [ $((now - v)) -le 100 ] || fail "version $v is not UTC now ($now)"
expect 8 status
has "empty migration"
expect 2 new 'bad/name'
expect 2 new ''
expect 2 new

# -------------------------------------------------- bad input, clear errors
newdb badfiles
printf 'CREATE TABLE ok (id INT);\n' >"$MIG/1_ok.up.sql"
printf -- '-- nothing but a comment\n\n' >"$MIG/2_empty.up.sql"
expect 8 up
has "2_empty.up.sql: empty migration"
eq "$(sql 'SHOW TABLES')" "" "nothing ran with an empty file"
rm "$MIG/2_empty.up.sql"
printf 'CREATE TABLE x (id INT);\n' >"$MIG/01_dup.up.sql"
expect 8 up
has "duplicate version 1"
rm "$MIG/01_dup.up.sql"
ln -s "$T/nonexistent" "$MIG/3_gone.up.sql"
expect 8 up
has "3_gone.up.sql: No such file or directory"
rm "$MIG/3_gone.up.sql"
printf 'DROP TABLE x;\n' >"$MIG/4_orphan.down.sql"
expect 8 up
has "no 4_orphan.up.sql beside it"
rm "$MIG/4_orphan.down.sql"
printf 'CREATE TABLE x (id INT);\n' >"$MIG/5_x.sql"
expect 8 status
has "5_x.sql: not VERSION_NAME.up.sql"
rm "$MIG/5_x.sql"
printf "SELECT 1;\nSELECT 'unterminated;\n" >"$MIG/6_q.up.sql"
expect 8 up
has "6_q.up.sql:2: unterminated ' string"
rm "$MIG/6_q.up.sql"
echo 'README, not a migration' >"$MIG/README"
eq "$(sql 'SHOW TABLES')" "" "nothing ran with bad files"
expect 0 up
DBM_MIG=$MIG
dbm_raw() {
	timeout 60 "$DBM" --metrics-file off "$@" >"$OUT" 2>&1
	rc=$?
}
dbm_raw -c "$T/nonexistent.cnf" -d "$DBM_MIG" status
eq "$rc" 78 "missing option file"
has "option file $T/nonexistent.cnf: No such file or directory"
printf '[foobar]\nsocket=%s/nosuch.sock\ndatabase=badfiles\nuser=root\n' "$T" >"$T/down.cnf"
dbm_raw -c "$T/down.cnf" -d "$DBM_MIG" up
eq "$rc" 1 "server down"
has "Can't connect"
has "is the MySQL/MariaDB server running?"
printf '[client]\nsocket=%s\n[foobar]\ndatabase=badfiles\nuser=nosuchuser\n' "$MDB_SOCK" >"$T/denied.cnf"
dbm_raw -c "$T/denied.cnf" -d "$DBM_MIG" up
eq "$rc" 1 "access denied"
has "Access denied for user 'nosuchuser'"
printf '[client]\nsocket=%s\n[foobar]\ndatabase=nosuchdb\nuser=root\n' "$MDB_SOCK" >"$T/nodb.cnf"
dbm_raw -c "$T/nodb.cnf" -d "$DBM_MIG" up
eq "$rc" 1 "unknown database"
has "Unknown database 'nosuchdb'"
printf '[client]\nsocket=%s\nuser=root\n' "$MDB_SOCK" >"$T/nodbname.cnf"
dbm_raw -c "$T/nodbname.cnf" -d "$DBM_MIG" up
eq "$rc" 1 "no database in the option file"
has "no database selected"
dbm_raw -c "$CNF" -d "$T/nosuchdir" status
eq "$rc" 8 "missing folder"
has "migrations folder $T/nosuchdir"
dbm_raw -c "$CNF" -g other -d "$DBM_MIG" status
eq "$rc" 1 "-g selects another group (no database there)"
dbm_raw -c "$CNF" -d "$DBM_MIG" frobnicate
eq "$rc" 2 "unknown command"
has "unknown command \"frobnicate\""
dbm_raw -c "$CNF" -d "$DBM_MIG" up --dry-run
eq "$rc" 2 "option after the command"
has "options go before the command"
dbm_raw -c "$CNF"
eq "$rc" 2 "no command"
dbm_raw --lock-timeout -1 status
eq "$rc" 2 "negative lock timeout"
dbm_raw --bogus status
eq "$rc" 2 "unknown option"
dbm_raw -c "$CNF" -d "$DBM_MIG" baseline 0
eq "$rc" 2 "baseline 0"
dbm_raw -c "$CNF" -d "$DBM_MIG" up --to abc
eq "$rc" 2 "up --to abc"
dbm_raw -V
eq "$rc" 0 "-V"
grep -q '^foobar-dbmigrate ' "$OUT" || fail "-V output"
dbm_raw -h
eq "$rc" 0 "-h"
has "usage: foobar-dbmigrate"

# ------------------------------------------------------ provision (root)
CASE=provision
echo "== $CASE"
cat >"$T/prov.cnf" <<EOF
[client]
socket=$MDB_SOCK
[foobar]
database=prov_db
user=nobody
EOF
dbm_raw -c "$T/prov.cnf" provision
eq "$rc" 0 "provision"
has "database prov_db and user nobody@localhost (unix_socket) are in place"
eq "$(mariadb_sql "SELECT plugin FROM mysql.user WHERE User = 'nobody'")" \
    unix_socket "user plugin"
dbm_raw -c "$T/prov.cnf" provision
eq "$rc" 0 "provision again (idempotent)"
eq "$(mariadb_sql "SHOW DATABASES LIKE 'prov_db'")" prov_db "database"
# The created user migrates over unix_socket, as the service does.
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	mkdir -p "$T/prov.mig"
	printf 'CREATE TABLE p (id INT);\n' >"$T/prov.mig/1_p.up.sql"
	chmod 755 "$T" "$T/prov.mig"
	chmod 644 "$T/prov.cnf" "$T/prov.mig/1_p.up.sql"
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$DBM" -c "$T/prov.cnf" -d "$T/prov.mig" --metrics-file off up \
	    >"$OUT" 2>&1 ||
	    fail "up as nobody over unix_socket"
	has "applied 1_p"
	chmod 700 "$T"
fi
printf '[foobar]\ndatabase=bad-name\nuser=x\n' >"$T/provbad.cnf"
dbm_raw -c "$T/provbad.cnf" provision
eq "$rc" 78 "provision with a bad database name"
has "must be 1 to 64 letters, digits or _"
printf '[foobar]\ndatabase=x\nuser=x\npassword=secret\n' >"$T/provpw.cnf"
dbm_raw -c "$T/provpw.cnf" provision
eq "$rc" 0 "provision with a password does nothing"
has "create the database and user yourself"
dbm_raw -c "$T/nonexistent.cnf" provision
eq "$rc" 78 "provision without option file"

# ------------------------------------------------- the server goes away
newdb gone
printf 'CREATE TABLE g (id INT);\n' >"$MIG/1_g.up.sql"
expect 0 up
mariadb_stop
expect 1 status
has "Can't connect"
mariadb_start || exit 1
expect 0 status
# ... and during a migration: the run fails, the record says so.
printf 'CREATE TABLE g2 (id INT);\nSELECT SLEEP(20);\nCREATE TABLE g3 (id INT);\n' \
    >"$MIG/2_g2.up.sql"
dbm up >"$OUT.bg" 2>&1 &
p1=$!
BGPIDS=$p1
n=0
while [ "$(mariadb_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(20)%'")" = 0 ] &&
    [ $n -lt 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
mariadb_stop
wait $p1
rc=$?
BGPIDS=""
cp "$OUT.bg" "$OUT"
eq "$rc" 4 "server gone during a migration"
has "2_g2.up.sql:2: "
has "recorded as failed; the connection was lost"
mariadb_start || exit 1
expect 4 status
has "FAILED"
eq "$(sql "SHOW TABLES LIKE 'g3'")" "" "nothing after the lost statement"

echo "dbmigrate: $ncase cases, $fails failures"
[ $fails -eq 0 ]
