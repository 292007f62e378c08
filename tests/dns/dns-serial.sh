#!/bin/sh
# foobar-dns across runs: the serial YYYYMMDDnn grows only when the zone
# changes, an unchanged zone file is left alone (same inode, same mtime),
# and writes are atomic (temp file + rename, nothing left behind).
. "$(dirname "$0")/lib.sh"
D=$T/zones
mkdir -p "$D"
Z=$D/foobar.test.zone
conf() {
	printf '[zone]\ndomain = foobar.test\naddress = 192.0.2.1\n'
	printf 'output = %s\n' "$Z"
	for r in "$@"; do
		printf 'record = %s\n' "$r"
	done
}
serial() {
	sed -n 's/^[[:space:]]*\([0-9]*\)[[:space:]]*; serial$/\1/p' "$Z"
}
stamp() {
	stat -c '%i %Y.%y' "$Z"
}
want_serial() {
	got=$(serial)
	[ "$got" = "$1" ] && ok "serial $got ($2)" ||
		fail "serial $got, want $1 ($2)"
}
only_zone() {
	left=$(ls -A "$D")
	[ "$left" = "foobar.test.zone" ] && ok "no temp files left ($1)" ||
		fail "files in $D after $1: $left"
}

conf >"$T/a.conf"
expect 0 "wrote $Z (serial 2026010100)" "$DNS" -c "$T/a.conf"
want_serial 2026010100 "first run"
checkzone foobar.test "$Z"
[ "$(stat -c %a "$Z")" = 644 ] && ok "mode 644" ||
	fail "mode $(stat -c %a "$Z")"
only_zone "first run"

# Unchanged content, even on another day: the file is not touched.
before=$(stamp)
sleep 1.1
expect 0 "$Z is up to date (serial 2026010100)" \
	env FOOBAR_DNS_TODAY=20260105 "$DNS" -c "$T/a.conf"
[ "$(stamp)" = "$before" ] && ok "unchanged zone left alone" ||
	fail "unchanged zone was touched: $before -> $(stamp)"
expect 0 "$Z: zone OK, up to date (serial 2026010100)" \
	"$DNS" --check -c "$T/a.conf"

# Changed the same day: +1, then +1 again; a new file (new inode).
conf "mail A 192.0.2.25" "@ MX 10 mail" >"$T/b.conf"
expect 0 "$Z: zone OK, would be written (serial 2026010101)" \
	"$DNS" --check -c "$T/b.conf"
want_serial 2026010100 "--check wrote nothing"
expect 0 "wrote $Z (serial 2026010101)" "$DNS" -c "$T/b.conf"
want_serial 2026010101 "changed the same day"
[ "$(stamp)" != "$before" ] && ok "changed zone replaced" ||
	fail "changed zone not replaced"
checkzone foobar.test "$Z"
only_zone "second run"
expect 0 "wrote $Z (serial 2026010102)" "$DNS" -c "$T/a.conf"
want_serial 2026010102 "changed back the same day"

# A later day starts at nn = 00.
expect 0 "wrote $Z (serial 2026020300)" \
	env FOOBAR_DNS_TODAY=20260203 "$DNS" -c "$T/b.conf"
want_serial 2026020300 "new day"

# A serial ahead of the date keeps growing.
sed -i 's/2026020300/2027123199/' "$Z"
expect 0 "$Z is up to date (serial 2027123199)" "$DNS" -c "$T/b.conf"
conf "mail A 192.0.2.26" "@ MX 10 mail" >"$T/c.conf"
expect 0 "wrote $Z (serial 2027123200)" "$DNS" -c "$T/c.conf"
want_serial 2027123200 "old serial ahead of the clock"

# A hand edit counts as a change and is overwritten.
echo "; hand edit" >>"$Z"
expect 0 "wrote $Z (serial 2027123201)" "$DNS" -c "$T/c.conf"
grep -q "hand edit" "$Z" && fail "hand edit kept" || ok "hand edit replaced"

# A refused config leaves the old zone in place.
before=$(stamp)
conf "@ CNAME www" >"$T/bad.conf"
expect 78 "CNAME at the apex" "$DNS" -c "$T/bad.conf"
[ "$(stamp)" = "$before" ] && ok "refused config left the zone alone" ||
	fail "refused config touched the zone"
only_zone "refused run"

# An unwritable directory: exit 1, the old zone stays, no temp file.
if [ "$(id -u)" != 0 ]; then
	chmod 555 "$D"
	expect 1 "create $D/.foobar.test.zone." "$DNS" -c "$T/b.conf"
	chmod 755 "$D"
	only_zone "unwritable directory"
fi

# Readers never see half a zone: a reader loop runs during 20 writes.
conf "x A 192.0.2.30" >"$T/x.conf"
(
	i=0
	while [ $i -lt 200 ]; do
		if [ -e "$Z" ] && ! tail -n 1 "$Z" | grep -q 'IN'; then
			echo torn >"$T/torn"
		fi
		i=$((i + 1))
	done
) &
reader=$!
i=0
while [ $i -lt 20 ]; do
	if [ $((i % 2)) = 0 ]; then c=$T/x.conf; else c=$T/c.conf; fi
	"$DNS" -c "$c" 2>/dev/null || fail "write $i"
	i=$((i + 1))
done
wait $reader
[ -e "$T/torn" ] && fail "a reader saw a partial zone" ||
	ok "readers saw whole zones during 20 rewrites"
only_zone "20 rewrites"
checkzone foobar.test "$Z"
finish
