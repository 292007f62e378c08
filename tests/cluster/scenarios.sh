# tests/cluster/scenarios.sh - sourced by tests/cluster/run.sh once the
# hosts are up and applied: the scenarios of make cluster-check, each under
# the steady load of the client host.

passed=0
failed=0
MIGRATION=100000000000000   # above the upgrade test's 99999999999999
MIGRATION2=100000000000001  # db-migrate-once's
FAILOVER_HOLDER=""

# load_start NAME: two wrk runs and the probe, as transient units of the
# client host (their output in its /srv/out).
load_start() {
	local n=$1 url=http://$VIP:80
	rm -f "$run/host-client/root/srv/out/$n".*
	hin client systemd-run -q --unit=fb-wrk-static --collect \
	    -p StandardOutput="file:/srv/out/$n.wrk-static" \
	    wrk -t1 -c4 -d1h --timeout 10s "$url/"
	hin client systemd-run -q --unit=fb-wrk-api --collect \
	    -p StandardOutput="file:/srv/out/$n.wrk-api" \
	    wrk -t1 -c4 -d1h --timeout 10s "$url/api/messages?limit=5"
	hin client systemd-run -q --unit=fb-probe --collect \
	    -p StandardOutput="file:/srv/out/$n.probe.log" \
	    -p StandardError="file:/srv/out/$n.probe.log" \
	    python3 /srv/load.py --host "$VIP" --tag "$n" \
	    --out "/srv/out/$n.probe.json"
	sleep 1
}

# load_stop NAME: stops them (wrk prints its summary on SIGINT) and sets
# R (requests), F (failed) and G (longest gap, s).
load_stop() {
	local n=$1 u i o=$run/host-client/root/srv/out figures
	hin client systemctl kill -s INT fb-wrk-static fb-wrk-api || true
	hin client systemctl kill -s TERM fb-probe || true
	for i in $(seq 100); do
		[ -e "$o/$n.probe.json" ] &&
		    ! hin client systemctl -q is-active fb-wrk-static fb-wrk-api &&
		    break
		sleep 0.2
	done
	for u in wrk-static wrk-api probe.json probe.log; do
		cp "$o/$n.$u" "$out/" 2>/dev/null || true
	done
	figures=$(python3 "$here/report.py" "$out/$n.probe.json" \
	    "$out/posts.tsv" "$out/$n.wrk-static" "$out/$n.wrk-api") ||
	    { R=0 F=1 G=0; return 1; }
	read -r R F G <<<"$figures"
}

# scenario NAME MAX_FAILED FUNCTION [MAX_GAP]: runs FUNCTION under load;
# passes when FUNCTION succeeds, at most MAX_FAILED requests failed and,
# when MAX_GAP (s) is given, no gap was longer. FUNCTION may set EXTRA
# (", figure ...").
scenario() {
	local name=$1 max=$2 fn=$3 maxgap=${4:-} ok=yes
	# FOOBAR_CLUSTER_ONLY="a b": runs only those (for work on one; a
	# scenario may count on what an earlier one left).
	if [ -n "${FOOBAR_CLUSTER_ONLY:-}" ] &&
	    [[ " $FOOBAR_CLUSTER_ONLY " != *" $name "* ]]; then
		say "scenario $name: skipped (FOOBAR_CLUSTER_ONLY)"
		return 0
	fi
	EXTRA=""
	say "scenario $name: starting"
	load_start "$name"
	"$fn" || ok=no
	load_stop "$name" || ok=no
	# FUNCTION_after, where there is one, checks what the load left.
	if declare -F "${fn}_after" >/dev/null; then
		local more
		more=$("${fn}_after") || ok=no
		EXTRA="$EXTRA, $more"
	fi
	[ "$F" -le "$max" ] || ok=no
	if [ -n "$maxgap" ] && awk -v g="$G" -v m="$maxgap" 'BEGIN { exit !(g > m) }'; then
		say "scenario $name: a gap of $G s, over $maxgap s"
		ok=no
	fi
	echo "scenario $name: $R requests, $F failed, longest gap $G s$EXTRA"
	if [ "$ok" = yes ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		say "scenario $name FAILED (at most $max failed requests allowed);" \
		    "probe errors: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["errors"][:5])' \
		    "$out/$name.probe.json" 2>/dev/null)"
	fi
}

# served HOST SINCE: requests its webd logged since the epoch second SINCE.
served() {
	hin "$1" journalctl -q -u foobar-webd.service -o cat --since "@$2" |
	    grep -c '" [0-9][0-9][0-9] ' || true
}

# wait_until SECONDS CMD...: polls CMD every 0.2 s.
wait_until() {
	local n=$(($1 * 5))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# hastat: "SERVER STATUS" of each web host as the load balancer LB sees it.
hastat() {
	hin "$1" sh -c 'echo "show stat" | socat stdio /run/haproxy/admin.sock' |
	    awk -F, '$2 != "FRONTEND" && $2 != "BACKEND" && NF > 20 { print $2, $18 }'
}
# health_ok HOST: its own webd answers /api/health with 200 (asked from
# the host itself: the firewall lets only the load balancers in).
health_ok() {
	[ "$(hin "$1" curl -s -o /dev/null -m 2 -w '%{http_code}' \
	    "http://${ADDR[$1]}/api/health")" = 200 ]
}
web_up_on() { hastat "$1" | grep -q "^$2 UP"; }
haproxy_cmd() {
	local lb
	for lb in lb1 lb2; do
		[ -n "${PID1[$lb]}" ] || continue
		hin "$lb" sh -c "echo '$1' | socat stdio /run/haproxy/admin.sock" >/dev/null
	done
}
vip_on() { hin "$1" ip -o -4 addr show | grep -q " $VIP/"; }

sc_all_up() {
	local t0 a b
	t0=$(date +%s)
	sleep 8
	a=$(served web1 "$t0")
	b=$(served web2 "$t0")
	EXTRA=", web1 served $a, web2 served $b"
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] &&
	    hin client curl -sf "http://$VIP/" | grep -qi guestbook
}

# kill9 HOST UNIT: kill -9 of the unit's main process; waits until systemd
# has started a new one.
kill9() {
	local old new
	old=$(hin "$1" systemctl show -p MainPID --value "$2")
	[ "${old:-0}" != 0 ] || { say "$1: $2 has no main process"; return 1; }
	hin "$1" kill -9 "$old"
	wait_until 20 main_pid_changed "$1" "$2" "$old" ||
	    { say "$1: $2 did not come back after kill -9"; return 1; }
}
main_pid_changed() {
	local p
	p=$(hin "$1" systemctl show -p MainPID --value "$2")
	[ "${p:-0}" != 0 ] && [ "$p" != "$3" ] &&
	    hin "$1" systemctl is-active -q "$2"
}

sc_web_kill() {
	sleep 2
	kill9 web1 foobar-webd.service || return 1
	sleep 4
	kill9 web1 foobar-appd.service || return 1
	sleep 5
}

sc_web_poweroff() {
	local t0 t1 n
	sleep 2
	host_poweroff_hard web1
	sleep 8
	t0=$(date +%s)
	host_boot web1
	host_wait web1
	t1=$(date +%s)
	wait_until 30 web_up_on lb1 web1 || wait_until 5 web_up_on lb2 web1 ||
	    { say "web1 is not UP again in HAProxy"; return 1; }
	sleep 3
	n=$(served web1 "$t1")
	EXTRA=", web1 back after $(($(date +%s) - t0)) s, served $n"
	[ "$n" -gt 0 ]
}

sc_rolling() {
	local h v
	for h in web1 web2; do
		haproxy_cmd "set server web/$h state drain"
		sleep 3
		hin "$h" sh -c 'apt-get install -y -q --no-install-recommends /srv/debs-next/*.deb' \
		    >"$out/$h.upgrade.log" 2>&1 ||
		    { say "$h: upgrade failed"; tail "$out/$h.upgrade.log"; return 1; }
		wait_until 30 health_ok "$h" || true
		haproxy_cmd "set server web/$h state ready"
		wait_until 30 web_up_on lb1 "$h" || wait_until 5 web_up_on lb2 "$h" ||
		    { say "$h is not UP after its upgrade"; return 1; }
		sleep 2
	done
	v=$(hin web2 dpkg-query -W -f '${Version}' foobar-webd)
	EXTRA=", both web hosts at $v"
	case $v in *upgradetest*) return 0 ;; esac
	return 1
}

sc_lb_failover() {
	local holder other t0 t1
	if vip_on lb1; then holder=lb1 other=lb2
	elif vip_on lb2; then holder=lb2 other=lb1
	else say "no load balancer holds $VIP"; return 1
	fi
	sleep 2
	FAILOVER_HOLDER=$holder
	t0=$(date +%s.%N)
	# Powered off as machinectl poweroff does (keepalived leaves with a
	# priority 0 advert); a crash costs 3 adverts more (README).
	host_poweroff "$holder" &
	local off=$!
	wait_until 20 vip_on "$other" || { say "$other never took $VIP"; return 1; }
	t1=$(date +%s.%N)
	wait "$off"
	PID1[$holder]=""
	# A request sent on a kept connection just before the holder went
	# hangs until the client's time-out (the probe's: 10 s): let each end
	# here, as an answer or a failure.
	sleep 12
	EXTRA=$(awk -v a="$t0" -v b="$t1" -v h="$holder" -v o="$other" \
	    'BEGIN { printf ", failover %.1f s (%s to %s)", b - a, h, o }')
}

sc_migrate_once() {
	local h sql="CREATE TABLE cluster_probe (id INT PRIMARY KEY);
INSERT INTO cluster_probe VALUES (1);"
	for h in web1 web2; do
		hin "$h" sh -c "rm -rf /tmp/mig && cp -r /usr/share/foobar/migrations /tmp/mig &&
		    printf '%s\n' '$sql' >/tmp/mig/${MIGRATION}_cluster_probe.up.sql"
	done
	hin web1 foobar-dbmigrate -d /tmp/mig up >"$out/web1.migrate.log" 2>&1 &
	local p1=$!
	hin web2 foobar-dbmigrate -d /tmp/mig up >"$out/web2.migrate.log" 2>&1 &
	local p2=$! rc=0
	wait $p1 || rc=1
	wait $p2 || rc=1
	local n rows
	n=$(hin db1 mariadb -N -B foobar -e \
	    "SELECT COUNT(*) FROM dbmigrate_history WHERE version = $MIGRATION AND success = 1")
	rows=$(hin db1 mariadb -N -B foobar -e "SELECT COUNT(*) FROM cluster_probe")
	EXTRA=", applied $n times"
	[ $rc = 0 ] || say "a dbmigrate run failed: $(cat "$out"/web?.migrate.log)"
	[ $rc = 0 ] && [ "$n" = 1 ] && [ "$rows" = 1 ]
}

# --- the Galera tier ---------------------------------------------------

# wsrep HOST VAR: a status variable of the db host's node.
wsrep() {
	hin "$1" mariadb -N -B -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null |
	    cut -f2
}
synced3() {
	[ "$(wsrep "$1" wsrep_local_state)" = 4 ] &&
	    [ "$(wsrep "$1" wsrep_cluster_size)" = 3 ]
}
all_synced() {
	local h
	for h in $DBS; do
		[ -n "${PID1[$h]}" ] && synced3 "$h" || return 1
	done
}
# writer WEB: the db host that the web host's HAProxy sends appd's
# connections to (the one with current sessions).
writer() {
	hin "$1" sh -c 'echo "show stat" | socat stdio /run/haproxy/admin.sock' |
	    awk -F, '$1 == "galera" && $2 ~ /^db/ && $5 > 0 { print $2 }'
}
# one_writer: both web hosts write through the same single node.
one_writer() {
	local a b
	a=$(writer web1)
	b=$(writer web2)
	[ -n "$a" ] && [ "$a" = "$b" ] && [ "$(echo "$a" | wc -w)" = 1 ]
}
# resynced T0: seconds since T0 until every node is synced again.
resynced() {
	wait_until "$1" all_synced || { say "the db nodes did not all sync again"; return 1; }
}

# kill -9 of mariadbd on the node that takes the writes; systemd starts it
# again and it catches up (IST).
sc_db_kill() {
	local w t0
	w=$(writer web1)
	[ -n "$w" ] || { say "no writer"; return 1; }
	sleep 2
	t0=$(date +%s)
	kill9 "$w" mariadb.service || return 1
	resynced 60 || return 1
	wait_until 20 one_writer || { say "two writers after $w came back"; return 1; }
	sleep 2
	EXTRA=", $w killed, synced again after $(($(date +%s) - t0)) s, writer $(writer web1)"
}

# The node that takes the writes powered off (the plug pulled), then
# booted again: it rejoins by IST.
sc_db_poweroff() {
	local w t0 t1
	w=$(writer web1)
	[ -n "$w" ] || { say "no writer"; return 1; }
	sleep 2
	t0=$(date +%s)
	host_poweroff_hard "$w"
	sleep 3
	wait_until 10 one_writer || { say "no single writer while $w is off"; return 1; }
	local during
	during=$(writer web1)
	sleep 5
	host_boot "$w"
	host_wait "$w"
	resynced 90 || return 1
	t1=$(date +%s)
	wait_until 20 one_writer || { say "two writers after $w came back"; return 1; }
	sleep 2
	EXTRA=", $w off, writes on $during meanwhile, $w synced again $((t1 - t0)) s after"
}

# non_primary HOST: its node knows it is cut off and refuses queries.
non_primary() {
	[ "$(wsrep "$1" wsrep_cluster_status)" = non-Primary ] &&
	    ! hin "$1" mariadb -N -B foobar -e "SELECT COUNT(*) FROM messages" 	    >/dev/null 2>&1
}

# The writer cut off from the others (its veth down): it leaves the
# primary component and refuses queries (no split brain); the writes go to
# another node; reconnected, it rejoins (IST) and catches up.
sc_db_partition() {
	local w t0 during
	w=$(writer web1)
	[ -n "$w" ] || { say "no writer"; return 1; }
	sleep 2
	t0=$(date +%s)
	ip -n "$ns" link set "vb-$w" down
	wait_until 30 non_primary "$w" || { ip -n "$ns" link set "vb-$w" up; say "$w still primary when cut off"; return 1; }
	wait_until 10 one_writer || { ip -n "$ns" link set "vb-$w" up; say "no single writer while $w is cut off"; return 1; }
	during=$(writer web1)
	sleep 3
	ip -n "$ns" link set "vb-$w" up
	resynced 60 || return 1
	wait_until 20 one_writer || { say "two writers after $w came back"; return 1; }
	sleep 2
	EXTRA=", $w cut off: non-Primary, queries refused; writes on $during; synced again $(($(date +%s) - t0)) s after the cut"
}

# Each node in turn (the writer last), the next one only once all are
# synced again: a rolling restart (db3), then a rolling package upgrade
# (db2, db1: the next foobar-cluster and foobar-db, apply, and the restart
# that an upgrade of mariadb-server makes).
sc_db_rolling() {
	local h v
	for h in db3 db2 db1; do
		if [ "$h" != db3 ]; then
			hin "$h" sh -c 'apt-get install -y -q --no-install-recommends /srv/debs-next/*.deb &&
			    foobar-cluster apply' >"$out/$h.upgrade.log" 2>&1 ||
			    { say "$h: upgrade failed"; tail "$out/$h.upgrade.log"; return 1; }
		fi
		hin "$h" systemctl restart mariadb.service ||
		    { say "$h: restart failed"; return 1; }
		resynced 60 || return 1
		wait_until 20 one_writer || { say "two writers after $h"; return 1; }
		sleep 1
	done
	v=$(hin db1 dpkg-query -W -f '${Version}' foobar-db)
	EXTRA=", db3 restarted, db2 db1 upgraded to $v and restarted, writer $(writer web1)"
	case $v in *upgradetest*) return 0 ;; esac
	return 1
}

# Two runs at the same moment through different nodes (web1 straight to
# db2, web2 straight to db3): the cluster lock lets one apply the
# migration, the other finds it applied.
sc_db_migrate_once() {
	local h sql="CREATE TABLE galera_probe (id INT PRIMARY KEY);
INSERT INTO galera_probe VALUES (1);"
	for h in web1 web2; do
		hin "$h" sh -c "rm -rf /tmp/mig2 && cp -r /usr/share/foobar/migrations /tmp/mig2 &&
		    printf '%s
' '$sql' >/tmp/mig2/${MIGRATION2}_galera_probe.up.sql"
	done
	hin web1 sh -c "sed 's/^host=.*/host=${ADDR[db2]}/' /etc/foobar/db.cnf >/tmp/direct.cnf"
	hin web2 sh -c "sed 's/^host=.*/host=${ADDR[db3]}/' /etc/foobar/db.cnf >/tmp/direct.cnf"
	hin web1 foobar-dbmigrate -c /tmp/direct.cnf -d /tmp/mig2 up >"$out/web1.migrate2.log" 2>&1 &
	local p1=$!
	hin web2 foobar-dbmigrate -c /tmp/direct.cnf -d /tmp/mig2 up >"$out/web2.migrate2.log" 2>&1 &
	local p2=$! rc=0 n rows ok=yes
	wait $p1 || rc=1
	wait $p2 || rc=1
	[ $rc = 0 ] || say "a dbmigrate run failed: $(cat "$out"/web?.migrate2.log)"
	sleep 1
	for h in $DBS; do
		n=$(hin "$h" mariadb -N -B foobar -e "SET SESSION wsrep_sync_wait = 1;
		    SELECT COUNT(*) FROM dbmigrate_history WHERE version = $MIGRATION2 AND success = 1")
		rows=$(hin "$h" mariadb -N -B foobar -e "SELECT COUNT(*) FROM galera_probe")
		[ "$n" = 1 ] && [ "$rows" = 1 ] || ok=no
	done
	EXTRA=", applied $n times, $rows row, on db1 db2 db3 alike; $(grep -l 'applying' "$out"/web?.migrate2.log | wc -l) run applied it"
	[ $rc = 0 ] && [ $ok = yes ]
}

sc_db_consistent() {
	sleep 3
}

# After the last load: every 201 of every scenario is on every node, and
# the nodes agree on the row count and CHECKSUM TABLE.
sc_db_consistent_after() {
	local h want got least all=yes sums="" counts=""
	wait_until 30 all_synced || all=no
	want=$(sort -u "$out/posts.tsv" | wc -l)
	least=$want
	for h in $DBS; do
		hin "$h" mariadb -N -B foobar -e "SET SESSION wsrep_sync_wait = 1;
		    SELECT id, text FROM messages" >"$out/messages-$h.tsv"
		got=$(sort -u "$out/posts.tsv" | comm -12 - <(sort -u "$out/messages-$h.tsv") | wc -l)
		[ "$got" = "$want" ] || { all=no; say "$h has $got of $want 201s"; }
		[ "$got" -lt "$least" ] && least=$got
		sums="$sums $(hin "$h" mariadb -N -B foobar -e "CHECKSUM TABLE messages" | cut -f2)"
		counts="$counts $(wc -l <"$out/messages-$h.tsv")"
	done
	one_writer || { all=no; say "web1 writes to $(writer web1), web2 to $(writer web2)"; }
	[ "$(echo $sums | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || all=no
	[ "$(echo $counts | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || all=no
	echo "$least of $want 201s on every node, rows$counts, checksums$sums, one writer ($(writer web1))"
	[ "$want" -gt 0 ] && [ $all = yes ]
}

sc_writes_kept() {
	sleep 3
}

# After writes-kept's load: every 201 of every scenario is in the database.
sc_writes_kept_after() {
	local want got
	hin db1 mariadb -N -B foobar -e "SELECT id, text FROM messages" \
	    >"$out/messages.tsv"
	want=$(sort -u "$out/posts.tsv" | wc -l)
	got=$(sort -u "$out/posts.tsv" | comm -12 - <(sort -u "$out/messages.tsv") | wc -l)
	echo "$got of $want 201s stored"
	[ "$want" -gt 0 ] && [ "$got" = "$want" ]
}

# --- a backup of the cluster, restored into a new one ------------------

# posts_burst N TAG FILE: N POSTs through the floating address, one after
# the other; each 201's "id<TAB>text" goes to FILE. Fails on any other
# answer.
posts_burst() {
	hin client sh -c "i=0; while [ \$i -lt $1 ]; do i=\$((i + 1));
	    curl -s -m 10 -w ' %{http_code}\n' -H 'Content-Type: application/json' \
	    -d \"{\\\"name\\\":\\\"backup\\\",\\\"text\\\":\\\"$2-\$i\\\"}\" \
	    http://$VIP/api/messages | tr -d '\n'; echo; done" |
	    awk -v tag="$2" '{ code = $NF; id = $0; sub(/.*"id":/, "", id)
		sub(/[^0-9].*/, "", id); n++
		if (code == 201 && id != "") print id "\t" tag "-" n; else bad++ }
		END { exit bad > 0 }' >"$3"
}

# states_sample FILE: "TIME HOST wsrep_local_state" of each db node, asked
# on the node itself about every 0.1 s, into FILE.HOST until states_stop.
STATE_PIDS=""
states_sample() {
	local h
	STATE_PIDS=""
	for h in $DBS; do
		hin "$h" sh -c 'rm -f /run/sample.stop
		    while [ ! -e /run/sample.stop ]; do
			    s=$(mariadb -N -B -e "SHOW GLOBAL STATUS LIKE '\''wsrep_local_state'\''" | cut -f2)
			    echo "$(date +%s.%N) $(hostname) ${s:-none}"
			    sleep 0.05
		    done' >"$1.$h" &
		STATE_PIDS="$STATE_PIDS $!"
	done
}
# states_stop FILE: stops the samplers; every sample into FILE.
states_stop() {
	local h p
	for h in $DBS; do
		hin "$h" touch /run/sample.stop
	done
	for p in $STATE_PIDS; do
		wait "$p"
	done
	cat "$1".db* >"$1"
}

# db_up_on WEB DB: the web host's HAProxy sends to that node (UP).
db_up_on() {
	hin "$1" sh -c 'echo "show stat" | socat stdio /run/haproxy/admin.sock' |
	    awk -F, -v d="$2" '$1 == "galera" && $2 == d && $18 == "UP" { f = 1 }
		END { exit !f }'
}

# The backup as foobar-backup.timer takes it, on web1 (foobar-backup.service:
# create, through web1's HAProxy, from the node that takes the writes),
# under the load: mariadb-dump --single-transaction takes no lock that stops
# a write and no node leaves Synced (sampled all along), so no request may
# fail. Then a restore while a migration on another node holds the cluster
# lock (the row of dbmigrate_lock, taken through db3: GET_LOCK on the
# writer cannot see it) is refused, changing nothing.
BACKUP_NAME=""
BULK=""
sc_db_backup() {
	local t0 t1 f=$out/db-backup.states bad n w i
	# Rows enough for a dump that lasts (in small transactions, as a
	# site's writes are).
	w=$(writer web1)
	for i in $(seq 0 19); do
		hin "$w" mariadb foobar -e "INSERT INTO messages (name, text)
		    SELECT 'bulk', CONCAT('bulk ', seq, ' ', MD5(seq))
		    FROM seq_$((i * 10000 + 1))_to_$((i * 10000 + 10000))" ||
		    { say "$w: bulk rows refused"; return 1; }
	done
	BULK=$(hin "$w" mariadb -N -B foobar -e "SELECT COUNT(*) FROM messages WHERE name = 'bulk'")
	sleep 2
	cp "$out/posts.tsv" "$out/db-backup.before.tsv"
	posts_burst 40 db-backup-before "$out/db-backup.burst.tsv" ||
	    { say "a POST before the backup was not answered 201"; return 1; }
	cat "$out/db-backup.burst.tsv" >>"$out/db-backup.before.tsv"
	rm -f "$f"*
	states_sample "$f"
	sleep 1
	t0=$(date +%s.%N)
	hin web1 systemctl start foobar-backup.service || bad=create
	t1=$(date +%s.%N)
	sleep 1
	states_stop "$f"
	hin web1 journalctl -q -o cat -u foobar-backup.service >"$out/web1.backup.log"
	[ -z "${bad:-}" ] || { say "web1: foobar-backup.service failed:"; cat "$out/web1.backup.log"; return 1; }
	BACKUP_NAME=$(hin web1 sh -c 'ls -t /var/backups/foobar | head -n 1')
	n=$(awk '$3 != 4' "$f" | wc -l)
	[ "$n" = 0 ] || { say "a node left Synced during create:"; awk '$3 != 4' "$f" | head; return 1; }
	n=$(hin web1 stat -c %s "/var/backups/foobar/$BACKUP_NAME")
	EXTRA=", create $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	EXTRA="$EXTRA ($BACKUP_NAME, $((n / 1024)) kB, $(sort -u "$out/db-backup.before.tsv" | wc -l) 201s before it)"
	# the fewest samples a node gave while create ran, and how many nodes
	read -r i n <<<"$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b { c[$2]++ }
	    END { m = -1; for (h in c) if (m < 0 || c[h] < m) m = c[h]; print m, length(c) }' "$f")"
	[ "$n" = 3 ] && [ "$i" -gt 0 ] || { say "not every node was sampled during create"; return 1; }
	EXTRA="$EXTRA, db1-3 Synced in all $(wc -l <"$f") samples ($i or more per node during create)"
	sleep 2
	# The migrations this site has had: the installed ones and those of
	# migrate-once and db-migrate-once (restore refuses a backup whose
	# schema is newer than the migrations it is given).
	hin web1 sh -c 'rm -rf /tmp/mig-all && mkdir /tmp/mig-all &&
	    cp /usr/share/foobar/migrations/* /tmp/mig-all/ &&
	    for d in /tmp/mig /tmp/mig2; do [ ! -d $d ] || cp $d/* /tmp/mig-all/; done &&
	    sed "s|^migrations = .*|migrations = /tmp/mig-all|" /etc/foobar/backup.conf \
	    >/tmp/backup.conf' || return 1
	hin db3 mariadb -N -B foobar -e "INSERT INTO dbmigrate_lock VALUES (1, 'db3 test migration', UTC_TIMESTAMP() + INTERVAL 5 MINUTE)" ||
	    { say "db3: cannot take the cluster lock row"; return 1; }
	if hin web1 foobar-backup -c /tmp/backup.conf --yes restore "$BACKUP_NAME" \
	    >"$out/web1.restore-locked.log" 2>&1; then
		say "a restore ran while the cluster lock was held"; return 1
	fi
	hin db3 mariadb -N -B foobar -e "DELETE FROM dbmigrate_lock WHERE owner = 'db3 test migration'"
	grep -q 'held by db3 test migration' "$out/web1.restore-locked.log" ||
	    { say "the refused restore said:"; cat "$out/web1.restore-locked.log"; return 1; }
	EXTRA="$EXTRA, restore refused while db3 held the cluster lock"
	sleep 2
}

# Out of the load (the site takes no writes while its database is rebuilt):
# the new cluster as an administrator makes it. db1-3 as new db hosts
# (MariaDB stopped, its data folder emptied and initialised again as the
# package does on install); foobar-cluster bootstrap on db1 (database and
# users); foobar-backup restore on web1; then db2 and db3 join with
# foobar-cluster apply, by state transfer from the restored node. Then
# every 201 answered before create began is on every node, the nodes
# agree (rows, CHECKSUM TABLE), the site serves them through the floating
# address and, under a short load again, takes new writes (none may
# fail). Prints the figures.
sc_db_backup_after() {
	local h t0 t1 tb tr tj want got sums="" counts="" all=yes joins=""
	[ -n "$BACKUP_NAME" ] || return 1
	t0=$(date +%s)
	for h in db3 db2 db1; do
		hin "$h" systemctl stop mariadb.service || return 1
	done
	for h in $DBS; do
		hin "$h" sh -c 'rm -rf /var/lib/mysql/* &&
		    mariadb-install-db --user=mysql --disable-log-bin --skip-test-db' >"$out/$h.install-db.log" 2>&1 ||
		    { cat "$out/$h.install-db.log" >&2; return 1; }
	done
	tb=$(date +%s)
	hin db1 foobar-cluster bootstrap >"$out/db1.bootstrap2.log" 2>&1 ||
	    { cat "$out/db1.bootstrap2.log" >&2; return 1; }
	wait_until 30 db_up_on web1 db1 || { echo "web1's HAProxy never saw db1 up" >&2; return 1; }
	tr=$(date +%s)
	hin web1 foobar-backup -c /tmp/backup.conf --yes restore "$BACKUP_NAME" \
	    >"$out/web1.restore.log" 2>&1 ||
	    { cat "$out/web1.restore.log" >&2; return 1; }
	tj=$(date +%s)
	for h in db2 db3; do
		t1=$(date +%s)
		hin "$h" foobar-cluster apply >"$out/$h.join.log" 2>&1 ||
		    { cat "$out/$h.join.log" >&2; return 1; }
		wait_until 120 synced_n "$h" $(( ${h#db} )) ||
		    { echo "$h did not sync" >&2; return 1; }
		joins="$joins, $h joined by SST in $(($(date +%s) - t1)) s"
	done
	t1=$(date +%s)
	want=$(sort -u "$out/db-backup.before.tsv" | wc -l)
	for h in $DBS; do
		hin "$h" mariadb -N -B foobar -e "SET SESSION wsrep_sync_wait = 1;
		    SELECT id, text FROM messages" >"$out/messages-new-$h.tsv"
		got=$(sort -u "$out/db-backup.before.tsv" | comm -12 - <(sort -u "$out/messages-new-$h.tsv") | wc -l)
		[ "$got" = "$want" ] || { all=no; echo "$h has $got of $want 201s" >&2; }
		[ "$(awk -F'\t' '$2 ~ /^bulk / { n++ } END { print n + 0 }' "$out/messages-new-$h.tsv")" = "$BULK" ] ||
		    { all=no; echo "$h lacks bulk rows" >&2; }
		sums="$sums $(hin "$h" mariadb -N -B foobar -e "CHECKSUM TABLE messages" | cut -f2)"
		counts="$counts $(wc -l <"$out/messages-new-$h.tsv")"
	done
	[ "$(echo $sums | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || all=no
	[ "$(echo $counts | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || all=no
	wait_site 60 || { echo "the site does not answer on $VIP" >&2; return 1; }
	served_burst || all=no
	load_start db-backup-after >&2
	sleep 8
	load_stop db-backup-after >&2 || all=no
	new_writes_everywhere || all=no
	echo "new cluster: wiped and initialised in $((tb - t0)) s, bootstrap $((tr - tb)) s, restore $((tj - tr)) s${joins}; $got of $want 201s from before create and the $BULK bulk rows on every node, rows$counts, checksums$sums; after: $R requests, $F failed, longest gap $G s, its 201s on every node"
	[ $all = yes ] && [ "$F" = 0 ]
}

# synced_n HOST N: Synced in a component of N nodes.
synced_n() {
	[ "$(wsrep "$1" wsrep_local_state)" = 4 ] &&
	    [ "$(wsrep "$1" wsrep_cluster_size)" = "$2" ]
}

# served_burst: the site serves the burst's first and last messages
# through the floating address (GET /api/messages?before=ID+1&limit=1).
served_burst() {
	local id text body
	for id in $(sed -n '1p;$p' "$out/db-backup.burst.tsv" | cut -f1); do
		text=$(awk -F'\t' -v i="$id" '$1 == i { print $2 }' "$out/db-backup.burst.tsv")
		body=$(hin client curl -s -m 5 "http://$VIP/api/messages?limit=1&before=$((id + 1))")
		case $body in *"\"$text\""*) ;; *)
			echo "message $id not served: $body" >&2; return 1 ;;
		esac
	done
}

# new_writes_everywhere: every 201 of the load after the restore is on
# every node.
new_writes_everywhere() {
	local h want got
	python3 -c 'import json, sys
for i, t in json.load(open(sys.argv[1]))["posts"]: print("%s\t%s" % (i, t))' \
	    "$out/db-backup-after.probe.json" | sort -u >"$out/db-backup.after.tsv"
	want=$(wc -l <"$out/db-backup.after.tsv")
	[ "$want" -gt 0 ] || { echo "no 201 after the restore" >&2; return 1; }
	for h in $DBS; do
		got=$(hin "$h" mariadb -N -B foobar -e "SET SESSION wsrep_sync_wait = 1;
		    SELECT id, text FROM messages" | sort -u |
		    comm -12 "$out/db-backup.after.tsv" - | wc -l)
		[ "$got" = "$want" ] || { echo "$h has $got of the $want new 201s" >&2; return 1; }
	done
}

# --- TLS between the hosts ---------------------------------------------

# db_login WEB DB SQL ARGS...: SQL as the web host's account on the db
# host, straight (not through HAProxy), with the mariadb client's TLS
# arguments ARGS.
db_login() {
	local w=$1 d=$2 sql=$3 pw
	shift 3
	pw=$(hin "$w" sed -n 's/^password=//p' /etc/foobar/db.cnf)
	hin "$w" mariadb --no-defaults -h "${ADDR[$d]}" -u foobar -p"$pw" \
	    --connect-timeout=5 "$@" -N -B foobar -e "$sql" 2>&1
}

# Under load: a client without TLS is refused by a db host, the same login
# with TLS and the site's CA (the server's address checked) is let in, and
# with another CA it is not.
sc_db_tls() {
	local ok=yes plain tls
	plain=$(db_login web1 db2 "SELECT 1" --skip-ssl) && ok=no
	tls=$(db_login web1 db2 "SELECT 1" \
	    --ssl-ca=/etc/foobar/cluster/tls/ca.pem --ssl-verify-server-cert) ||
	    ok=no
	[ "$tls" = 1 ] || ok=no
	case $plain in *"Access denied"*) ;; *) ok=no ;; esac
	# another CA: the one of another secret
	hin web1 sh -c 'rm -rf /tmp/other && mkdir -p /tmp/other &&
	    head -c 32 /dev/urandom | base64 >/tmp/other/key && chmod 600 /tmp/other/key &&
	    sed "s|^secret_file = .*|secret_file = /tmp/other/key|" /etc/foobar/cluster.conf >/tmp/other/c.conf &&
	    foobar-cluster -c /tmp/other/c.conf render /tmp/other/r >/dev/null' ||
	    { say "db-tls: no CA of another secret"; ok=no; }
	if db_login web1 db2 "SELECT 1" \
	    --ssl-ca=/tmp/other/r/etc/foobar/cluster/tls/ca.pem \
	    --ssl-verify-server-cert >/dev/null; then
		say "db-tls: the server's certificate passed with another CA"
		ok=no
	fi
	[ $ok = yes ] || say "db-tls: without TLS: $plain; with TLS: $tls"
	# rotation: db3's certificate removed, apply issues a new one and the
	# running server loads it (no restart); a new client sees it
	local before after
	before=$(db_login web1 db3 "SHOW STATUS LIKE 'Ssl_server_not_after'" \
	    --ssl-ca=/etc/foobar/cluster/tls/ca.pem --ssl-verify-server-cert | cut -f2)
	hin db3 rm /etc/foobar/cluster/tls/host.pem
	hin db3 foobar-cluster apply >"$out/db3.rotate.log" 2>&1 ||
	    { say "db-tls: apply on db3 failed: $(cat "$out/db3.rotate.log")"; ok=no; }
	grep -q '^mariadb.service: certificate reloaded' "$out/db3.rotate.log" ||
	    { say "db-tls: db3 did not reload its certificate"; ok=no; }
	after=$(db_login web1 db3 "SHOW STATUS LIKE 'Ssl_server_not_after'" \
	    --ssl-ca=/etc/foobar/cluster/tls/ca.pem --ssl-verify-server-cert | cut -f2)
	if [ -z "$before" ] || [ "$before" = "$after" ] || ! synced3 db3; then
		say "db-tls: rotation: before \"$before\", after \"$after\""
		ok=no
	fi
	EXTRA=", db3's certificate replaced while it runs (not after $before -> $after)"
	# the second apply of the start kept every certificate
	local h
	for h in db1 db2 db3 web1 web2; do
		grep -q '^ca.pem: unchanged' "$out/$h.apply2.log" ||
		    { say "db-tls: $h: the second apply changed ca.pem"; ok=no; }
	done
	for h in $DBS; do
		grep -q '^host.pem: unchanged' "$out/$h.apply2.log" ||
		    { say "db-tls: $h: the second apply changed host.pem"; ok=no; }
	done
	sleep 2
	[ $ok = yes ]
}

# tls_hellos FILE PORT: TLS ClientHello records sent to PORT in the
# capture: a TCP payload that starts with a handshake record whose first
# message is a ClientHello, or (MariaDB's protocol) with the client's
# 36-byte SSL request followed by one in the same segment (HAProxy may
# forward both at once).
tls_hellos() {
	local p='tcp[((tcp[12] & 0xf0) >> 2)'
	tcpdump -n -r "$1" "tcp dst port $2 and (($p] = 0x16 and $p + 5] = 1) or
	    ($p] = 0x20 and $p + 1] = 0 and $p + 2] = 0 and $p + 36] = 0x16 and $p + 41] = 1))" \
	    2>/dev/null | wc -l
}

# After the last load: the whole run's capture of the database ports
# holds none of the texts that were posted (each 201's, and any of the
# probe's form), and TLS handshakes on the client, replication and state
# transfer ports.
sc_db_tls_after() {
	local f=$out/db-tls.pcap ok=yes pkts bytes texts leaked pattern greet h3306 h4567 h4568 h4444
	db_capture_stop
	pkts=$(tcpdump -n -r "$f" 2>/dev/null | wc -l)
	bytes=$(stat -c %s "$f")
	cut -f2 "$out/posts.tsv" | sort -u | grep . >"$out/db-tls.texts" || true
	texts=$(wc -l <"$out/db-tls.texts")
	leaked=$(grep -a -o -F -f "$out/db-tls.texts" "$f" "$out/db-tls-answers.pcap" | wc -l)
	# any text of the probe's form, posted or not: TAG[WORKER]-N-NANOSECONDS
	pattern=$(grep -a -o -E '(all-up|web-[a-z]+|rolling-upgrade|lb-failover|migrate-once|db-[a-z-]+|writes-kept)[0-9]*-[0-9]+-[0-9]{12,}' \
	    "$f" "$out/db-tls-answers.pcap" | wc -l)
	# the control: what goes in clear before TLS starts (the server's
	# greeting) is found in the same capture
	greet=$(grep -a -c -- '-MariaDB-' "$out/db-tls-answers.pcap" || true)
	h3306=$(tls_hellos "$f" 3306)
	h4567=$(tls_hellos "$f" 4567)
	h4568=$(tls_hellos "$f" 4568)
	h4444=$(tls_hellos "$f" 4444)
	echo "capture $((bytes / 1048576)) MiB, $pkts packets; $leaked of $texts posted texts and $pattern texts of the probe's form in it ($greet clear server greetings found); TLS handshakes: 3306 $h3306, 4567 $h4567, 4568 $h4568, 4444 $h4444; plain login refused, another CA's refused"
	[ "$pkts" -gt 0 ] && [ "$texts" -gt 0 ] && [ "$greet" -gt 0 ] || ok=no
	[ "$leaked" = 0 ] && [ "$pattern" = 0 ] || ok=no
	[ "$h3306" -gt 0 ] && [ "$h4567" -gt 0 ] && [ "$h4444" -gt 0 ] || ok=no
	[ $ok = yes ]
}

# --- two db hosts and an arbitrator -------------------------------------

# conf_arbitrator: cluster.conf without db3 and with lb2 as the arbitrator,
# on every host that stays.
conf_arbitrator() {
	local h
	awk '/^\[host db3\]/ { skip = 1; next } /^\[/ { skip = 0 }
	    !skip' "$out/cluster.conf" |
	    sed '/^\[host lb2\]/,/^roles/s/^roles = lb$/roles = lb, arbitrator/' \
	    >"$out/cluster-arbitrator.conf"
	grep -q '^roles = lb, arbitrator$' "$out/cluster-arbitrator.conf" ||
	    { say "no arbitrator in the new cluster.conf"; return 1; }
	for h in $HOSTS; do
		[ "$h" = client ] || [ "$h" = db3 ] && continue
		cp "$out/cluster-arbitrator.conf" "$run/host-$h/root/etc/foobar/cluster.conf"
	done
}
# synced_all_n N: every db host Synced in a component of N members.
synced_all_n() {
	local h
	for h in $DBS; do
		synced_n "$h" "$1" || return 1
	done
}

# From three db hosts to two and an arbitrator, as an administrator does
# it, under the load: the new cluster.conf on every host; the web hosts
# first (their HAProxy forgets db3); db3 powered off (a clean leave: the
# two others stay primary); db2, then db1 (the writer) applied, each
# restarted with the new member list and its firewall open to the
# arbitrator; then lb2 applied: garbd joins (over TLS: the nodes accept
# no other), and the cluster counts three members again.
sc_db_arbitrator() {
	local h t0 sec since moves faults
	since=$(date +%s)
	conf_arbitrator || return 1
	hin web1 foobar-cluster check >"$out/arbitrator.check.log" 2>&1 ||
	    { say "check refused it: $(cat "$out/arbitrator.check.log")"; return 1; }
	cluster_apply web1 web2
	host_poweroff db3
	DBS="db1 db2"
	wait_until 20 synced_all_n 2 || { say "db1 db2 not synced after db3 left"; return 1; }
	for h in db2 db1; do
		hin "$h" foobar-cluster apply >"$out/$h.arbitrator.log" 2>&1 ||
		    { say "$h: apply failed: $(tail -5 "$out/$h.arbitrator.log")"; return 1; }
		wait_until 60 synced_all_n 2 || { say "not synced after $h's apply"; return 1; }
		wait_until 20 one_writer || { say "two writers after $h"; return 1; }
	done
	t0=$(date +%s)
	hin lb2 foobar-cluster apply >"$out/lb2.arbitrator.log" 2>&1 ||
	    { say "lb2: apply failed: $(tail -5 "$out/lb2.arbitrator.log")"; return 1; }
	grep -q '^garbd: in the cluster, 3 members$' "$out/lb2.arbitrator.log" ||
	    { say "lb2: $(cat "$out/lb2.arbitrator.log")"; return 1; }
	wait_until 10 all_synced || { say "db1 db2 do not count 3 members"; return 1; }
	# garbd: a dynamic user, its sandbox, its key from systemd only
	local user score
	user=$(hin lb2 ps -o user= -C garbd | head -n 1)
	score=$(hin lb2 systemd-analyze security garb.service 2>/dev/null |
	    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	case $user in "" | root | nobody) say "garbd runs as \"$user\""; return 1 ;; esac
	hin lb2 foobar-cluster status >"$out/lb2.status.log" 2>&1 ||
	    { say "status on lb2: $(cat "$out/lb2.status.log")"; return 1; }
	grep -q 'lb2: arbitrator (garbd), counted' "$out/lb2.status.log" ||
	    { say "status on lb2 does not count garbd"; return 1; }
	# lb1 has the package too, without the role: garb.service stays down
	! hin lb1 systemctl -q is-active garb.service &&
	    ! hin lb1 systemctl -q is-failed garb.service ||
	    { say "lb1: garb.service is $(hin lb1 systemctl is-active garb.service)"; return 1; }
	sec=$(($(date +%s) - t0))
	sleep 2
	# Whether the vip moved meanwhile (a run had connections reset at
	# once when lb2 reloaded its firewall): keepalived's and HAProxy's
	# journals of the lb hosts, kept for a look afterwards.
	# (The cause, found so: keepalived's check of HAProxy, a systemctl
	# call, timed out while systemd reloaded its units for lb2's apply,
	# and keepalived went to FAULT at once, which on the vip holder gives
	# the address away; the check now has 15 s.)
	moves=0 faults=0
	for h in lb1 lb2; do
		hin "$h" journalctl -q -o short-precise --since "@$since" \
		    -u keepalived.service -u foobar-firewall.service \
		    >"$out/db-arbitrator.$h.lb.log" 2>&1 || true
		moves=$((moves + $(grep -c 'Entering MASTER STATE' \
		    "$out/db-arbitrator.$h.lb.log" || true)))
		faults=$((faults + $(grep -c 'Entering FAULT STATE' \
		    "$out/db-arbitrator.$h.lb.log" || true)))
	done
	EXTRA=", db3 gone, db2 db1 applied, garbd on lb2 joined in $sec s as user $user (exposure $score); 3 members, writer $(writer web1); the vip moved $moves times, keepalived in FAULT $faults times"
}

# The writer's mariadbd killed: the other db host and garbd are two of
# three, a majority, so the site keeps taking writes; the node comes back
# and catches up (IST from the only other copy).
sc_db_garbd() {
	all_synced || { say "not 3 members before the kill"; return 1; }
	sc_db_kill
}

# After it: every 201 of db-arbitrator and db-garbd is on both db hosts,
# which agree on the row count and CHECKSUM TABLE.
sc_db_garbd_after() {
	local h want got all=yes sums="" counts=""
	wait_until 30 all_synced || all=no
	cat "$out/db-arbitrator.probe.json" "$out/db-garbd.probe.json" >/dev/null || all=no
	python3 -c 'import json, sys
for f in sys.argv[1:]:
    for i, t in json.load(open(f))["posts"]: print("%s\t%s" % (i, t))' \
	    "$out/db-arbitrator.probe.json" "$out/db-garbd.probe.json" |
	    sort -u >"$out/db-garbd.posts.tsv"
	want=$(wc -l <"$out/db-garbd.posts.tsv")
	for h in $DBS; do
		hin "$h" mariadb -N -B foobar -e "SET SESSION wsrep_sync_wait = 1;
		    SELECT id, text FROM messages" | sort -u >"$out/messages-garbd-$h.tsv"
		got=$(comm -12 "$out/db-garbd.posts.tsv" "$out/messages-garbd-$h.tsv" | wc -l)
		[ "$got" = "$want" ] || { all=no; echo "$h has $got of $want 201s" >&2; }
		sums="$sums $(hin "$h" mariadb -N -B foobar -e "CHECKSUM TABLE messages" | cut -f2)"
		counts="$counts $(wc -l <"$out/messages-garbd-$h.tsv")"
	done
	[ "$(echo $sums | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || all=no
	[ "$(echo $counts | tr ' ' '\n' | sort -u | wc -l)" = 1 ] || all=no
	echo "$got of $want 201s (db-arbitrator, db-garbd) on db1 and db2, rows$counts, checksums$sums"
	[ "$want" -gt 0 ] && [ $all = yes ]
}

run_scenarios() {
	: >"$out/posts.tsv"
	scenario all-up 0 sc_all_up
	scenario web-kill 0 sc_web_kill
	scenario web-poweroff 0 sc_web_poweroff
	scenario rolling-upgrade 0 sc_rolling
	# Only what was in flight when the load balancer died may fail: wrk's
	# 8 connections and the probe's 4.
	scenario lb-failover 12 sc_lb_failover
	# The load balancer back, for what follows.
	if [ -n "$FAILOVER_HOLDER" ] && [ -z "${PID1[$FAILOVER_HOLDER]}" ]; then
		host_boot "$FAILOVER_HOLDER"
		host_wait "$FAILOVER_HOLDER"
		sleep 3
	fi
	scenario migrate-once 0 sc_migrate_once
	# The database tier. Only what was in flight when the writer failed
	# may fail (see README).
	scenario db-kill 12 sc_db_kill 5
	scenario db-poweroff 12 sc_db_poweroff 5
	scenario db-partition 12 sc_db_partition
	scenario db-rolling 0 sc_db_rolling
	scenario db-migrate-once 0 sc_db_migrate_once
	scenario writes-kept 0 sc_writes_kept
	scenario db-consistent 0 sc_db_consistent
	# It replaces the database cluster. The backup under the load
	# (no request may fail); the new cluster is built out of the load.
	scenario db-backup 0 sc_db_backup 5
	# Last: it stops the capture of the database ports (and checks the
	# SST of db-backup's new cluster, with its data, on the wire).
	scenario db-tls 0 sc_db_tls
	# Two db hosts and an arbitrator (db3 leaves, lb2 runs garbd), under
	# the load. The web hosts' HAProxy reloads (its old process closes the
	# database connections it still holds at its hard stop) and the writer
	# restarts: as in db-kill, only a write in flight at that moment may
	# fail (its outcome unknown; the CI run of 21:13 UTC: 1 of 357281).
	# Two such moments, so twice db-kill's 12: the run of 21:47 UTC had
	# 12, 8 of them connections reset at once, static pages too, when lb2
	# (holding the vip) reloaded its firewall for garbd (not explained
	# yet: see the stop 22 note).
	scenario db-arbitrator 24 sc_db_arbitrator 5
	scenario db-garbd 12 sc_db_garbd 5
}
