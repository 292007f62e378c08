#!/bin/sh
# foobar-dns's man pages render without warnings, its units pass
# systemd-analyze verify, and install-dns puts every file in place.
. "$(dirname "$0")/lib.sh"

for page in "$SRCDIR/dns/foobar-dns.1" "$SRCDIR/dns/dns.conf.5"; do
	warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	text=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
	if [ -n "$warn" ]; then
		fail "$(basename "$page"): $warn"
	else
		ok "$(basename "$page") renders without warnings"
	fi
	for s in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
		printf '%s\n' "$text" | grep -q "^$s" ||
			fail "$(basename "$page") lacks $s"
	done
done
text=$(MANWIDTH=80 man -l "$SRCDIR/dns/foobar-dns.1")
for s in OPTIONS "EXIT STATUS" FILES; do
	printf '%s\n' "$text" | grep -q "^$s" || fail "foobar-dns.1 lacks $s"
done
# Every option of --help is in the man page.
for opt in $("$DNS" --help | grep -o -- '--[a-z]*' | sort -u); do
	printf '%s\n' "$text" | grep -q -- "$opt" ||
		fail "foobar-dns.1 does not document $opt"
done

# The units: verified with the binary where ExecStart expects it.
mkdir -p "$T/units"
cp "$SRCDIR/etc/systemd/foobar-dns.service" \
	"$SRCDIR/etc/systemd/foobar-dns.path" "$T/units/"
sed -i "s|^ExecStart=/usr/bin/foobar-dns|ExecStart=$DNS|" \
	"$T/units/foobar-dns.service"
if out=$(cd "$T/units" && systemd-analyze verify --man=no \
    ./foobar-dns.service ./foobar-dns.path 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify foobar-dns.service foobar-dns.path"
else
	fail "systemd-analyze verify: $out"
fi
u=$SRCDIR/etc/systemd/foobar-dns.service
for line in Type=oneshot ExecStart=/usr/bin/foobar-dns User=foobar-dns \
    StateDirectory=foobar/dns ProtectSystem=strict; do
	grep -qx "$line" "$u" && ok "$line" || fail "service lacks $line"
done
grep -q '^u foobar-dns ' "$SRCDIR"/etc/sysusers.d/*.conf &&
	ok "sysusers.d creates foobar-dns" || fail "no sysusers.d entry"
grep -qx 'PathChanged=/etc/foobar/dns.conf' \
	"$SRCDIR/etc/systemd/foobar-dns.path" && ok "PathChanged" ||
	fail "path unit does not watch dns.conf"

# install-dns: man pages, config, units (the binary comes with "make
# install" through BIN_PROGRAMS).
if out=$(make -s -C "$SRCDIR" O="$O" DESTDIR="$T/root" PREFIX=/usr \
    SYSCONFDIR=/etc SYSTEMD_UNIT_DIR=/lib/systemd/system install-dns \
    2>&1); then
	ok "make install-dns"
else
	fail "make install-dns: $out"
fi
for f in /usr/share/man/man1/foobar-dns.1 \
    /usr/share/man/man5/dns.conf.5 /etc/foobar/dns.conf \
    /lib/systemd/system/foobar-dns.service \
    /lib/systemd/system/foobar-dns.path; do
	[ -f "$T/root$f" ] && ok "installs $f" || fail "does not install $f"
done
expect 0 "configuration OK" "$DNS" -t -c "$T/root/etc/foobar/dns.conf"
finish
