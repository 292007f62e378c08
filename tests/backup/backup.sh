#!/bin/sh
# tests/backup/backup.sh - foobar-backup against a private MariaDB with the
# guestbook schema, appd and webd: create under a steady POST load, verify
# in a scratch server, DROP TABLE, restore (appd stopped and started by the
# hooks): every message answered 201 before create began is back, and only
# messages that were answered 201. Then every refusal leaves the data as
# it was: corrupted and truncated files, a backup of another database, a
# newer schema, the migration lock held, no --yes; a full disk during
# create keeps the older backups; older schemas are migrated; copy_to
# failures are reported; the textfile; prune.
. "$(dirname "$0")/../appd/lib.sh"
BK=$BIN/foobar-backup

db_setup
appd_conf workers=2
appd_start 2 || exit 1
echo "$APPD_PID" >"$T/appd.pid"
. "$SRCDIR/tests/appd/http.sh"
cat >"$T/webd.conf" <<E
[server]
listen = 127.0.0.1:$PORT
root = $SRCDIR/webd/www
access_log = off
maintenance_file = $T/run/maintenance
[location /api/]
fastcgi_pass = unix:$SOCK
E
front_start "$T/webd.log" / "$BIN/foobar-webd" -c "$T/webd.conf"

# The restore hooks: stop appd (bounded wait), start it again. With appd
# stopped, what webd answers (the maintenance file is there): the API's
# status and Retry-After, and the static page's status.
cat >"$T/stop-app" <<E
#!/bin/sh
p=\$(cat "$T/appd.pid")
kill "\$p" 2>/dev/null
i=0
while kill -0 "\$p" 2>/dev/null && [ \$i -lt 150 ]; do sleep 0.1; i=\$((i + 1)); done
echo stopped >>"$T/hooks.log"
{
	curl -s -o /dev/null -D "$T/maint.head" -w 'api %{http_code}\n' \
	    --max-time 5 "$URL/api/health"
	sed -n 's/^Retry-After: *\([0-9]*\).*/retry \1/ip' "$T/maint.head"
	curl -s -o /dev/null -w 'static %{http_code}\n' --max-time 5 "$URL/"
} >"$T/maint.log" 2>&1
E
cat >"$T/start-app" <<E
#!/bin/sh
"$APPD" -c "$T/appd.conf" >>"$T/appd.log" 2>&1 </dev/null &
echo \$! >"$T/appd.pid"
echo started >>"$T/hooks.log"
E
chmod +x "$T/stop-app" "$T/start-app"
mkdir -p "$T/prom" "$T/copies"

# conf FILE [KEY = VALUE lines for [backup]...]: a backup.conf for gb.
conf() {
	_f=$1
	shift
	{
		echo "[backup]"
		echo "dir = ${DIR:-$T/bk}"
		echo "textfile = $T/prom/foobar_backup.prom"
		echo "scratch_dir = $T"
		for l in "$@"; do echo "$l"; done
		echo "[database]"
		echo "option_file = ${DBCNF:-$CNF}"
		echo "user ="
		echo "[restore]"
		echo "migrations = ${MIGS:-$SRCDIR/appd/migrations}"
		echo "maintenance_file = $T/run/maintenance"
		echo "stop_app = $T/stop-app"
		echo "start_app = $T/start-app"
		echo "migrate = $BIN/foobar-dbmigrate -c $CNF -d ${MIGS:-$SRCDIR/appd/migrations} up"
		echo "lock_timeout = 1"
	} >"$_f"
}
conf "$T/backup.conf"
bk() {
	timeout 300 "$BK" -c "$T/backup.conf" "$@" >"$OUT" 2>&1
}
has() {
	grep -q -- "$1" "$OUT" || { echo "output lacks \"$1\":"; cat "$OUT"; return 1; }
}
sql() {
	mariadb_sql "USE gb; $*"
}
# A fingerprint of the whole database: schema and data.
fingerprint() {
	mariadb-dump --no-defaults -uroot --socket="$MDB_SOCK" \
	    --skip-dump-date gb | md5sum
}

check "config -t" "$BK" -c "$T/backup.conf" -t

# --- a steady POST load through webd ---
load() {
	i=0
	while [ ! -e "$T/load.stop" ] && [ $i -lt 20000 ]; do
		i=$((i + 1))
		r=$(curl -s -m 10 -o "$T/resp" -w '%{http_code} %{time_total}' \
		    -H 'Content-Type: application/json' -d \
		    "{\"name\":\"load\",\"text\":\"message $i\"}" \
		    "$URL/api/messages")
		id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$T/resp" | head -n 1)
		# seconds, id, status
		echo "${r#* } ${id:-none} ${r%% *}"
	done >>"$T/posts.log"
}
# Bulk rows, so that create lasts long enough to overlap the load.
sql "INSERT INTO messages (name, text) SELECT 'bulk', CONCAT('bulk ', seq, \
    ' ', MD5(seq)) FROM seq_1_to_200000"
touch "$T/posts.log"
load &
LOADPID=$!
BGPIDS="$BGPIDS $LOADPID"
i=0
while [ "$(wc -l <"$T/posts.log")" -lt 30 ] &&
    [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
# Answered 201 before create began: the lines written by now.
cp "$T/posts.log" "$T/before.log"
awk '$3 == 201 { print $2 }' "$T/before.log" | sort >"$T/before.ids"
start_line=$(wc -l <"$T/before.log")
check "the load got 201s" test "$(wc -l <"$T/before.ids")" -ge 20
# A migration on another Galera node holds the cluster lock (a row of
# dbmigrate_lock) as the backup is taken; it ends before the restore.
sql "CREATE TABLE dbmigrate_lock (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, \
    owner VARCHAR(255) NOT NULL, expires DATETIME NOT NULL); \
    INSERT INTO dbmigrate_lock VALUES (1, 'web2 pid 1', \
    UTC_TIMESTAMP() + INTERVAL 1 HOUR)"
check "create under load" bk create
sql "DELETE FROM dbmigrate_lock"
NAME=$(basename "$(grep '^/' "$OUT")")
end_line=$(wc -l <"$T/posts.log")
sleep 1
touch "$T/load.stop"
wait "$LOADPID"
awk '$3 == 201 { print $2 }' "$T/posts.log" | sort >"$T/all.ids"
check "no POST failed during create" test \
    "$(awk '$3 != 201' "$T/posts.log" | wc -l)" = 0
stall=$(awk -v a="$start_line" -v b="$end_line" 'NR > a && NR <= b + 1 \
    { if ($1 > m) m = $1 } END { print m + 0 }' "$T/posts.log")
echo "longest POST during create: ${stall}s ($((end_line - start_line)) POSTs during create)"

check "the file is root-only (0600)" test \
    "$(stat -c %a "$T/bk/$NAME")" = 600
check "the folder is 0700" test "$(stat -c %a "$T/bk")" = 700
check "textfile written" grep -q \
    '^foobar_backup_last_success_timestamp_seconds [0-9]' \
    "$T/prom/foobar_backup.prom"
check "textfile readable by node-exporter (0644)" test \
    "$(stat -c %a "$T/prom/foobar_backup.prom")" = 644
check "zstd reads it as plain zstd" eval \
    'zstd -dc "$T/bk/$NAME" | grep -q "INSERT INTO \`messages\`"'
check "list shows it ok" eval 'bk list && has "$NAME .* 1  ok"'
check "verify in a scratch server" eval 'bk verify && has ": ok"'

# --- DROP TABLE, restore ---
sql "DROP TABLE messages"
check "restore refuses without --yes off a terminal" eval \
    '! bk restore "$NAME" </dev/null && has "refusing without --yes"'
check "restore" eval 'bk --yes restore "$NAME" && has "restored"'
check "hooks stopped and started appd" eval \
    'test "$(cat "$T/hooks.log" | tr "\n" " ")" = "stopped started "'
check "appd stopped: the API answered 503 with Retry-After" eval \
    'grep -qx "api 503" "$T/maint.log" && grep -qx "retry 10" "$T/maint.log"'
check "appd stopped: the static site still served" \
    grep -qx "static 200" "$T/maint.log"
check "the maintenance file is gone after the restore" \
    test ! -e "$T/run/maintenance"
APPD_PID=$(cat "$T/appd.pid")
sql "SELECT id FROM messages WHERE name = 'load'" | sort >"$T/restored.ids"
check "every message answered 201 before create is back" eval \
    'test -z "$(comm -23 "$T/before.ids" "$T/restored.ids")"'
check "nothing but messages answered 201 is there" eval \
    'test -z "$(comm -13 "$T/all.ids" "$T/restored.ids")"'
check "the bulk rows are back" test \
    "$(sql "SELECT COUNT(*) FROM messages WHERE name = 'bulk'")" = 200000
check "the lock row the backup caught is not restored" test \
    "$(sql "SELECT COUNT(*) FROM dbmigrate_lock")" = 0
appd_wait_workers 2
http GET /api/health
check "the site answers after the restore" expect 200
http POST /api/messages application/json '{"name":"after","text":"restore"}'
check "and takes new messages" expect 201
check "no staging database left" test -z \
    "$(mariadb_sql "SHOW DATABASES LIKE 'gb\\_\\_%'")"

# --- bad files: refused, data untouched ---
FP=$(fingerprint)
size=$(stat -c %s "$T/bk/$NAME")
cp "$T/bk/$NAME" "$T/bk/gb-20000101T000000Z.sql.zst"
printf 'X' | dd of="$T/bk/gb-20000101T000000Z.sql.zst" bs=1 \
    seek=$((size / 2)) conv=notrunc 2>/dev/null
head -c $((size - 100)) "$T/bk/$NAME" >"$T/truncated.sql.zst"
head -c 1000 /dev/urandom >"$T/random.sql.zst"
check "corrupted file refused" eval \
    '! bk --yes restore gb-20000101T000000Z.sql.zst &&
    has "checksum mismatch" && has "nothing changed"'
check "truncated file refused" eval \
    '! bk --yes restore "$T/truncated.sql.zst" && has "truncated"'
check "not a backup refused" eval \
    '! bk --yes restore "$T/random.sql.zst" && has "not a foobar backup"'
check "verify finds the corrupted file" eval \
    '! bk verify gb-20000101T000000Z.sql.zst && has "checksum mismatch"'
check "list shows it damaged" eval \
    'bk list && has "gb-20000101T000000Z.sql.zst .*damaged"'
rm -f "$T/bk/gb-20000101T000000Z.sql.zst"
MIGS=$T/nomigs
mkdir -p "$MIGS"
conf "$T/backup.conf"
check "a newer schema than installed refused" eval \
    '! bk --yes restore "$NAME" && has "newer than the newest migration"'
unset MIGS
conf "$T/backup.conf"

mariadb_sql "CREATE DATABASE other; CREATE TABLE other.t (a int); \
    INSERT INTO other.t VALUES (1)"
mariadb_write_cnf "$T/other.cnf" other
DBCNF=$T/other.cnf DIR=$T/otherbk conf "$T/other.conf"
"$BK" -c "$T/other.conf" create >"$OUT" 2>&1
OTHER=$(grep '^/' "$OUT")
check "a backup of another database refused" eval \
    '! bk --yes restore "$OTHER" && has "backup of database other"'

mariadb --no-defaults -uroot --socket="$MDB_SOCK" -e \
    "SELECT GET_LOCK('foobar-dbmigrate:gb', 0); SELECT SLEEP(60)" \
    >/dev/null 2>&1 &
LOCKPID=$!
BGPIDS="$BGPIDS $LOCKPID"
i=0
until [ "$(mariadb_sql "SELECT IS_USED_LOCK('foobar-dbmigrate:gb') IS NOT NULL")" = 1 ] ||
    [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "restore refused while a migration holds the lock" eval \
    '! bk --yes restore "$NAME" && has "a migration or another restore"'
kill "$LOCKPID" 2>/dev/null
mariadb_sql "KILL (SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(60)%' LIMIT 1)" 2>/dev/null
check "the refusals changed nothing" test "$(fingerprint)" = "$FP"

# --- an older schema is migrated after the restore ---
MIGS=$T/migs2
mkdir -p "$MIGS"
cp "$SRCDIR"/appd/migrations/* "$MIGS/"
echo "CREATE TABLE extra (a int);" >"$MIGS/2_extra.up.sql"
"$BIN/foobar-dbmigrate" -c "$CNF" -d "$MIGS" up >/dev/null 2>&1
conf "$T/backup.conf"
check "restore of schema 1 under migrations up to 2" eval \
    'bk --yes restore "$NAME" && has "migrating"'
check "the newer migration was applied" test \
    "$(sql "SELECT MAX(version) FROM dbmigrate_history WHERE success = 1")" = 2
check "its table is there" eval 'sql "SELECT COUNT(*) FROM extra" >/dev/null'
APPD_PID=$(cat "$T/appd.pid")
unset MIGS
conf "$T/backup.conf"

# --- a full disk during create: the older backups stay ---
mkdir -p "$T/full"
room=$(($(stat -c %s "$T/bk/$NAME") / 1024 + 256))
if mount -t tmpfs -o size=${room}k,mode=0700 tmpfs "$T/full" 2>/dev/null; then
	cp "$T/bk/$NAME" "$T/full/"
	sql "INSERT INTO messages (name, text) SELECT 'big', \
	    CONCAT(MD5(RAND()), MD5(RAND()), MD5(RAND())) FROM seq_1_to_30000"
	DIR=$T/full conf "$T/full.conf"
	"$BK" -c "$T/full.conf" create >"$OUT" 2>&1
	rc=$?
	check "create on a full disk fails" eval \
	    'test $rc != 0 && has "No space left" && has "older ones are untouched"'
	check "and leaves only the older backup" test \
	    "$(ls -A "$T/full")" = "$NAME"
	check "which is intact" cmp "$T/full/$NAME" "$T/bk/$NAME"
	umount "$T/full"
	sql "DELETE FROM messages WHERE name = 'big'"
else
	echo "skip: full disk (cannot mount a tmpfs here)"
fi

# --- copy_to ---
conf "$T/backup.conf" "copy_to = cp \"\$1\" $T/copies/"
check "copy_to sends the new file" eval \
    'bk create && test -n "$(ls "$T/copies")"'
conf "$T/backup.conf" "copy_to = false"
check "a failing copy_to makes create fail, loudly" eval \
    '! bk create && has "copy_to failed"'
conf "$T/backup.conf"

# --- prune: the policy on real files (the month is in the unit test) ---
sleep 1
bk create
for d in 01 02 03 04 05 06 07 08 09 10; do
	cp "$T/bk/$NAME" "$T/bk/gb-202001${d}T030000Z.sql.zst"
done
touch -d '2 days ago' "$T/bk/.gb-20200101T030000Z.sql.zst.tmp.1"
before=$(ls "$T/bk" | wc -l)
conf "$T/backup.conf" "keep_daily = 3" "keep_weekly = 3"
check "prune" bk prune
# Today's 3+ backups make 1 day; then 2020-01-10 and 01-09 (daily),
# weekly: 2026-W49 and 2020-W02 are kept already, 2020-W01 gives 01-05.
check "prune keeps what the policy says" test \
    "$(ls "$T/bk" | grep -c '^gb-2020')" = 3
check "prune kept the 10th, 9th and 5th" eval \
    'ls "$T/bk" | grep -q 20200110 && ls "$T/bk" | grep -q 20200109 &&
    ls "$T/bk" | grep -q 20200105'
check "prune removed the stale temporary file" test ! -e \
    "$T/bk/.gb-20200101T030000Z.sql.zst.tmp.1"
echo "prune: $before files before, $(ls -A "$T/bk" | wc -l) after"

finish
