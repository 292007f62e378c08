#!/bin/sh
# The zone foobar-dns writes, served by a real nsd on 127.0.0.1 and a free
# port, queried with dig over UDP and TCP.
. "$(dirname "$0")/lib.sh"
command -v nsd >/dev/null && command -v dig >/dev/null ||
	{ echo "nsd and dig are needed (tests/deps.sh check)"; exit 1; }

free_port() {
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    t.bind(("127.0.0.1", s.getsockname()[1]))
except OSError:
    raise SystemExit(1)
print(s.getsockname()[1])'
}

nsd_pid=""
stop_nsd() {
	if [ -n "$nsd_pid" ]; then
		kill "$nsd_pid" 2>/dev/null
		i=0
		while kill -0 "$nsd_pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$nsd_pid" 2>/dev/null
		nsd_pid=""
	fi
}
trap 'stop_nsd; cleanup' EXIT

"$DNS" -c "$SRCDIR/etc/dns.conf" -o "$T/foobar.com.zone" ||
	fail "foobar-dns"
"$DNS" -c "$SRCDIR/tests/dns/rich.conf" -o "$T/example.test.zone" ||
	fail "foobar-dns rich"
checkzone foobar.com "$T/foobar.com.zone"

port=""
for try in 1 2 3 4 5; do
	port=$(free_port) && break
done
[ -n "$port" ] || { fail "no free port"; finish; }
cat >"$T/nsd.conf" <<CONF
server:
	ip-address: 127.0.0.1
	port: $port
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$T"
	pidfile: "$T/nsd.pid"
	database: ""
	zonelistfile: "$T/zone.list"
	xfrdfile: "$T/xfrd.state"
	xfrdir: "$T"
	logfile: "$T/nsd.log"
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: foobar.com
	zonefile: foobar.com.zone
zone:
	name: example.test
	zonefile: example.test.zone
CONF
if out=$(nsd-checkconf "$T/nsd.conf" 2>&1); then
	ok "nsd-checkconf"
else
	fail "nsd-checkconf: $out"
	finish
fi
nsd -d -c "$T/nsd.conf" >"$T/nsd.out" 2>&1 &
nsd_pid=$!

# Wait (bounded) until nsd answers.
i=0
until [ "$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" foobar.com SOA \
    2>/dev/null)" != "" ]; do
	i=$((i + 1))
	if [ $i -ge 50 ] || ! kill -0 "$nsd_pid" 2>/dev/null; then
		fail "nsd did not answer on 127.0.0.1:$port"
		cat "$T/nsd.out" "$T/nsd.log" 2>/dev/null
		finish
	fi
	sleep 0.2
done
ok "nsd answers on 127.0.0.1:$port"

# q WANT DIG-ARGS...: dig +short prints exactly WANT.
q() {
	want=$1
	shift
	got=$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$port" "$@" 2>&1)
	[ "$got" = "$want" ] && ok "dig $* -> $got" ||
		fail "dig $*: got \"$got\", want \"$want\""
}
for tcp in +notcp +tcp; do
	q foobar.com. $tcp www.foobar.com CNAME
	q 8.8.8.8 $tcp foobar.com A
	q ns1.foobar.com. $tcp foobar.com NS
	q 8.8.8.8 $tcp ns1.foobar.com A
	q "$(printf 'foobar.com.\n8.8.8.8')" $tcp www.foobar.com A
	q 2001:db8::10 $tcp example.test AAAA
	q '"v=DMARC1; p=reject"' $tcp _dmarc.example.test TXT
	caa=$(dig +short +time=2 +tries=1 @127.0.0.1 -p "$port" $tcp \
		example.test CAA | sort | tr '\n' '|')
	[ "$caa" = '0 iodef "mailto:security@example.test"|0 issue "letsencrypt.org"|128 issuewild ";"|' ] &&
		ok "dig $tcp example.test CAA" || fail "CAA $tcp: $caa"
done
soa=$(dig +short @127.0.0.1 -p "$port" foobar.com SOA)
[ "$soa" = "ns1.foobar.com. hostmaster.foobar.com. 2026010100 3600 900 1209600 3600" ] &&
	ok "SOA $soa" || fail "SOA $soa"
# Authoritative answers, no error.
hdr=$(dig +norec @127.0.0.1 -p "$port" foobar.com A | grep 'flags:\|status:')
echo "$hdr" | grep -q 'status: NOERROR' && echo "$hdr" | grep -q 'flags: qr aa' &&
	ok "authoritative NOERROR" || fail "not an authoritative answer: $hdr"
stop_nsd
finish
