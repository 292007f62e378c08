#!/bin/sh
# tests/dbmigrate/system-dbmigrate.sh - foobar-dbmigrate as installed, in a
# booted systemd testbed with mariadb-server (autopkgtest: needs-root,
# isolation-container; Depends: foobar-dbmigrate, mariadb-server).
# Installing the package ran foobar-dbmigrate.service: the database and its
# unix_socket user exist, every migration of /usr/share/foobar/migrations
# is applied; restarting the service changes nothing; a new migration is
# applied by the next start.
set -eu

mig=/usr/share/foobar/migrations
unit=foobar-dbmigrate.service

fail() {
	echo "FAIL: $*"
	journalctl -u "$unit" --no-pager -n 50 2>/dev/null || true
	exit 1
}

wait_for() {
	n=$(($1 * 2))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.5
		n=$((n - 1))
	done
	return 1
}

sql() {
	mariadb -N -B -e "$1"
}

history() {
	sql "SELECT version, checksum, applied_at, success FROM foobar.dbmigrate_history ORDER BY version"
}

[ -d /run/systemd/system ] || fail "systemd is not running (needs a booted testbed)"
id foobar >/dev/null 2>&1 || fail "no system user foobar"
wait_for 60 systemctl is-active --quiet mariadb.service ||
    fail "mariadb.service is not active"
systemctl is-enabled --quiet "$unit" || fail "$unit is not enabled"
# The package's postinst started it; start it again in case MariaDB came
# later in the same transaction.
systemctl start "$unit" || fail "$unit failed"
systemctl is-active --quiet "$unit" || fail "$unit not active"

# 1. The privileged step created the database and the unix_socket user.
[ "$(sql "SHOW DATABASES LIKE 'foobar'")" = foobar ] || fail "no database foobar"
[ "$(sql "SELECT plugin FROM mysql.user WHERE User = 'foobar' AND Host = 'localhost'")" = unix_socket ] ||
    fail "no foobar@localhost identified via unix_socket"

# 2. Every migration is applied (status exits 0 only then), as foobar.
runuser -u foobar -- foobar-dbmigrate status || fail "status as foobar"
nfiles=$(find "$mig" -name '*.up.sql' 2>/dev/null | wc -l)
napplied=$(sql "SELECT COUNT(*) FROM foobar.dbmigrate_history WHERE success = 1")
[ "$nfiles" = "$napplied" ] || fail "$napplied applied, $nfiles files"

# 3. Restarting is a no-op.
before=$(history)
systemctl restart "$unit" || fail "restart failed"
systemctl is-active --quiet "$unit" || fail "$unit not active after restart"
[ "$(history)" = "$before" ] || fail "restart changed the history"

# 4. A new migration is applied by the next start, as foobar.
tmpmig=$(mktemp -d)
cp "$mig"/*.sql "$tmpmig"/ 2>/dev/null || true
printf 'CREATE TABLE autopkgtest_probe (id INT);\n' \
    >"$tmpmig/99999999999999_autopkgtest_probe.up.sql"
printf 'DROP TABLE autopkgtest_probe;\n' \
    >"$tmpmig/99999999999999_autopkgtest_probe.down.sql"
chmod 755 "$tmpmig"
chmod 644 "$tmpmig"/*
runuser -u foobar -- foobar-dbmigrate -d "$tmpmig" up || fail "up as foobar"
[ "$(sql "SHOW TABLES FROM foobar LIKE 'autopkgtest_probe'")" = autopkgtest_probe ] ||
    fail "the new migration was not applied"
runuser -u foobar -- foobar-dbmigrate -d "$tmpmig" down || fail "down as foobar"
rm -rf "$tmpmig"

# 5. The unit is sandboxed as promised (systemd 252: threshold in tenths).
systemd-analyze security --threshold=10 "$unit" >/dev/null ||
    fail "systemd-analyze security above 1.0"

echo "OK"
