#!/bin/sh
# foobar-dns from the outside: golden zones, named-checkzone, every
# refusal with exit 78 and FILE:LINE, usage errors, -t, --check, options.
. "$(dirname "$0")/lib.sh"
G=$SRCDIR/tests/dns/golden

# Golden zones, through a file and through stdout.
expect 0 "wrote $T/foobar.com.zone (serial 2026010100)" \
	"$DNS" -c "$SRCDIR/etc/dns.conf" -o "$T/foobar.com.zone"
same "$T/foobar.com.zone" "$G/foobar.com.zone"
checkzone foobar.com "$T/foobar.com.zone"
"$DNS" -c "$SRCDIR/etc/dns.conf" -o - >"$T/stdout.zone"
same "$T/stdout.zone" "$G/foobar.com.zone"
expect 0 "" "$DNS" -c "$SRCDIR/tests/dns/rich.conf" -o "$T/rich.zone"
same "$T/rich.zone" "$G/rich.zone"
checkzone example.test "$T/rich.zone"

# No output = key: stdout.
printf '[zone]\ndomain = foobar.test\naddress = 192.0.2.1\n' >"$T/min.conf"
"$DNS" -c "$T/min.conf" >"$T/min.zone" 2>"$T/min.err"
[ -s "$T/min.zone" ] && [ ! -s "$T/min.err" ] && ok "stdout without output =" ||
	fail "stdout without output ="
checkzone foobar.test "$T/min.zone"

# Command-line values override the file; --address replaces addresses.
"$DNS" -c "$SRCDIR/etc/dns.conf" -o - --domain example.test \
	--address 192.0.2.5 --address 2001:db8::5 >"$T/over.zone"
if grep -q '^\$ORIGIN example.test.$' "$T/over.zone" &&
    grep -q '^@	IN	AAAA	2001:db8::5$' "$T/over.zone" &&
    ! grep -q 8.8.8.8 "$T/over.zone"; then
	ok "--domain and --address override the file"
else
	fail "overrides: $(cat "$T/over.zone")"
fi
checkzone example.test "$T/over.zone"

# -t and --check.
expect 0 "configuration OK" "$DNS" -t -c "$SRCDIR/etc/dns.conf"
expect 0 "configuration OK" "$DNS" --test -c "$SRCDIR/tests/dns/rich.conf"
expect 0 "$T/check.zone: zone OK, would be written (serial 2026010100)" \
	"$DNS" --check -c "$SRCDIR/etc/dns.conf" -o "$T/check.zone"
[ -e "$T/check.zone" ] && fail "--check wrote a file" ||
	ok "--check wrote nothing"

# Usage errors: exit 2.
expect 2 "unknown option --bogus" "$DNS" --bogus
expect 2 "unknown option -x" "$DNS" -x
expect 2 "option --address needs a value" "$DNS" --address
expect 2 "option -c needs a value" "$DNS" -c
expect 2 "unexpected argument \"extra\"" "$DNS" extra
expect 2 "exclude each other" "$DNS" -t --check
expect 2 "FOOBAR_DNS_TODAY=2026 is not a date" \
	env FOOBAR_DNS_TODAY=2026 "$DNS" -c "$SRCDIR/etc/dns.conf" -o -
expect 0 "foobar-dns " "$DNS" -V
expect 0 "usage: foobar-dns" "$DNS" --help

# Missing files.
expect 78 "$T/none.conf: No such file" "$DNS" -c "$T/none.conf"
expect 1 "create $T/no/dir/." "$DNS" -c "$T/min.conf" -o "$T/no/dir/x.zone"

# refuse NAME LINE TEXT: the config on stdin is refused with exit 78,
# by -t and by a real run (which leaves no file), as FILE:LINE: TEXT (the
# message starts with the file name).
refuse() {
	name=$1 line=$2 text=$3
	cat >"$T/$name.conf"
	where="$T/$name.conf:$line: "
	[ "$line" = 0 ] && where="$T/$name.conf: "
	for mode in -t run; do
		if [ $mode = -t ]; then
			out=$("$DNS" -t -c "$T/$name.conf" 2>&1)
		else
			out=$("$DNS" -c "$T/$name.conf" -o "$T/$name.zone" 2>&1)
		fi
		rc=$?
		if [ $rc != 78 ]; then
			fail "$name ($mode): exit $rc, want 78: $out"
		elif [ "${out#"$where"}" = "$out" ]; then
			# PRODUCT.md: "FILE:LINE: message", nothing before it
			fail "$name ($mode): \"$out\" does not start with \"$where\""
		elif ! printf '%s\n' "$out" | grep -qF -- "$text"; then
			fail "$name ($mode): \"$out\" lacks \"$text\""
		else
			ok "$name ($mode): 78, $where...$text"
		fi
	done
	[ -e "$T/$name.zone" ] && fail "$name: a zone was written"
	return 0
}

refuse cname-apex 4 'record "@ CNAME www": CNAME at the apex' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = @ CNAME www
C
refuse cname-www 5 'record "www A 192.0.2.2": www.foobar.test. has a CNAME (www = yes) and other data' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
www = yes
record = www A 192.0.2.2
C
refuse cname-other 6 'record "ftp TXT \"x\"": ftp.foobar.test. has a CNAME' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
; a comment line counts
record = ftp CNAME www
record = ftp TXT "x"
C
refuse mx-cname 4 'record "@ MX 10 www": mail server www.foobar.test. is a CNAME' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = @ MX 10 www
C
refuse ns-cname 4 'nameserver www.foobar.test.: name server www.foobar.test. is a CNAME' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
nameserver = www.foobar.test
C
refuse ns-default-cname 4 'record "ns1 CNAME www": ns1.foobar.test. is the name server of the zone' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = ns1 CNAME www
C
refuse label-63 4 'is longer than 63 bytes (64)' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa A 192.0.2.2
C
refuse name-255 4 'longer than 255 bytes (311)' <<'C'
[zone]
domain = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test
address = 192.0.2.1
record = bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb TXT x
C
refuse ldh 5 'label "a_b" has "_": only letters, digits and hyphens' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = _dmarc TXT "v=DMARC1; p=reject"
record = a_b A 192.0.2.2
C
refuse ldh-domain 2 'domain "foo_bar.test": label "foo_bar" has "_"' <<'C'
[zone]
domain = foo_bar.test
address = 192.0.2.1
C
refuse underscore-a 4 'allowed only in the name of a TXT or CNAME record' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = _x A 192.0.2.2
C
refuse bad-ipv4 4 'address "192.0.2.256": "192.0.2.256" is not an IPv4 address' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
address = 192.0.2.256
C
refuse bad-ipv6 3 'is not an IPv6 address' <<'C'
[zone]
domain = foobar.test
address = 2001:db8:::1
C
refuse a-ipv6 4 'is an IPv6 address: use AAAA' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = host A 2001:db8::1
C
refuse ttl-low 4 'ttl: 59 is out of range (60 to 604800)' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
ttl = 59
C
refuse ttl-record 4 'TTL 2147483648 is out of range (60 to 604800 seconds)' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = a 2147483648 A 192.0.2.2
C
refuse unknown-type 4 'unknown record type "SRV"' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = _sip._tcp SRV 0 5 5060 sip
C
refuse txt-quote 4 'unterminated quoted string' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = @ TXT "v=spf1 -all
C
refuse caa 4 'CAA iodef must be a mailto:, http: or https: URL' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = @ CAA 0 iodef "security@foobar.test"
C
refuse mx-dot 4 '"mail.example.net" has a dot but does not end with one' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = @ MX 10 mail.example.net
C
refuse dup 5 'duplicate of record "a A 192.0.2.2"' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = a A 192.0.2.2
record = a A 192.0.2.2
C
refuse continuation 6 'would continue a TXT record, but the record before it is not TXT' <<'C'
[zone]
domain = foobar.test
address = 192.0.2.1
record = t TXT "fine"
record = @ MX 10 mail.example.net.
	"more"
C
refuse unknown-key 3 'unknown key "adress" in [zone]' <<'C'
[zone]
domain = foobar.test
adress = 192.0.2.1
C
refuse no-address 0 'no address' <<'C'
[zone]
domain = foobar.test
C

# Values from the command line are blamed on the option.
expect 78 "--address: address \"1.2.3\": \"1.2.3\" is not an IPv4 address" \
	"$DNS" -t -c "$SRCDIR/etc/dns.conf" --address 1.2.3
expect 78 "--domain: domain \"-bad.test\"" \
	"$DNS" -c "$SRCDIR/etc/dns.conf" --domain -bad.test -o -
finish
