#!/bin/sh
# What apply would install for each host of the sample site, checked by
# the engines' own checkers: haproxy -c, keepalived -t, nft -c,
# foobar-webd -t; rendering twice gives the same bytes.
. "$(dirname "$0")/lib.sh"
site
C=$T/cluster.conf
mkdir -p "$T/www"
# The shipped [tls] names the installed snakeoil links: a pair of our own.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj /CN=web1 -keyout "$T/key.pem" -out "$T/cert.pem" \
    2>/dev/null || { echo "openssl req failed"; exit 1; }
sed -e "s|^root = .*|root = $T/www|" \
    -e "s|^certificate = /etc/foobar/tls/fullchain.pem$|certificate = $T/cert.pem|" \
    -e "s|^key = /etc/foobar/tls/privkey.pem$|key = $T/key.pem|" \
    "$SRCDIR/etc/webd.conf" >"$T/webd.conf"

for h in lb1 lb2 web1 web2 db1 db2 db3; do
	expect 0 "" "$CL" -c "$C" --host $h --webd-conf "$T/webd.conf" \
	    render "$T/$h"
done
"$CL" -c "$C" --host lb1 --webd-conf "$T/webd.conf" render "$T/again"
if diff -r "$T/lb1" "$T/again" >/dev/null; then
	ok "render is deterministic"
else
	fail "two renders of lb1 differ"
fi

for h in lb1 lb2; do
	expect 0 "" haproxy -c -f "$T/$h/etc/haproxy/haproxy.cfg"
	expect 0 "" keepalived -t -f "$T/$h/etc/keepalived/keepalived.conf"
done
# advert_int below a second: VRRPv3, no authentication
sed 's/^name = foobar/&\nadvert_int = 500ms/' "$C" >"$T/v3.conf"
expect 0 "" "$CL" -c "$T/v3.conf" --host lb1 render "$T/v3"
expect 0 "" keepalived -t -f "$T/v3/etc/keepalived/keepalived.conf"
grep -q 'advert_int 0.50' "$T/v3/etc/keepalived/keepalived.conf" &&
    grep -q 'vrrp_version 3' "$T/v3/etc/keepalived/keepalived.conf" &&
    ! grep -q auth_pass "$T/v3/etc/keepalived/keepalived.conf" &&
	ok "advert_int 500ms: VRRPv3 without authentication" ||
	fail "advert_int 500ms"
# a web host of a Galera site: HAProxy in TCP mode on 127.0.0.1:3306
expect 0 "" haproxy -c -f "$T/web1/etc/haproxy/haproxy.cfg"
grep -q '^host=127.0.0.1$' "$T/web1/etc/foobar/db.cnf" &&
	ok "db.cnf points at the local HAProxy" || fail "db.cnf host"
n=$(grep -c ' backup ' "$T/web2/etc/haproxy/haproxy.cfg")
[ "$n" = 2 ] && ok "one writer, two backups" || fail "$n backup servers"
for h in db1 db2 db3; do
	grep -q "^wsrep_node_address = $(sed -n "/^\[host $h\]/,/^address/s/^address = //p" "$C")\$" \
	    "$T/$h/etc/mysql/mariadb.conf.d/60-foobar-cluster.cnf" ||
	    fail "$h: wsrep_node_address"
done
ok "each db host names its own address to Galera"
grep -q 'server web2 10.20.0.5:80 check' "$T/lb1/etc/haproxy/haproxy.cfg" &&
	ok "haproxy.cfg names every web host" || fail "haproxy.cfg: no web2"
grep -q 'priority 254' "$T/lb1/etc/keepalived/keepalived.conf" &&
    grep -q 'priority 253' "$T/lb2/etc/keepalived/keepalived.conf" &&
	ok "lb1 has the higher VRRP priority" || fail "VRRP priorities"
pass1=$(sed -n 's/.*auth_pass //p' "$T/lb1/etc/keepalived/keepalived.conf")
pass2=$(sed -n 's/.*auth_pass //p' "$T/lb2/etc/keepalived/keepalived.conf")
[ ${#pass1} = 8 ] && [ "$pass1" = "$pass2" ] &&
	ok "both lb hosts derive the same VRRP password" ||
	fail "VRRP passwords \"$pass1\" \"$pass2\""
dbpw=$(sed -n 's/^password=//p' "$T/web1/etc/foobar/db.cnf")
grep -q "IDENTIFIED BY '$dbpw'" "$T/db1/foobar-db.sql" &&
	ok "web hosts and db host derive the same password" ||
	fail "db password differs between db.cnf and the SQL"

# TLS: one CA on every host, from the secret alone; each db host's
# certificate is of that CA and names its address and 127.0.0.1.
tls=etc/foobar/cluster/tls
cmp -s "$T/web1/$tls/ca.pem" "$T/db1/$tls/ca.pem" &&
    cmp -s "$T/web2/$tls/ca.pem" "$T/db3/$tls/ca.pem" &&
	ok "every host derives the same CA certificate" ||
	fail "the CA certificates differ"
[ ! -e "$T/lb1/$tls/ca.pem" ] && ok "lb hosts get no certificate" ||
	fail "lb1 got a CA"
for h in db1 db3; do
	a=$(sed -n "/^\[host $h\]/,/^address/s/^address = //p" "$C")
	expect 0 "OK" openssl verify -CAfile "$T/$h/$tls/ca.pem" \
	    -verify_ip "$a" "$T/$h/$tls/host.pem"
	expect 0 "OK" openssl verify -CAfile "$T/$h/$tls/ca.pem" \
	    -verify_ip 127.0.0.1 "$T/$h/$tls/host.pem"
done
expect 2 "" openssl verify -CAfile "$T/db1/$tls/ca.pem" -verify_ip 10.20.0.8 \
    "$T/db1/$tls/host.pem"
# The administrator's certificates: copied as they are when they fit,
# refused with the line of cluster.conf when not.
sed -e "s|^secret_file = .*|&\ntls_ca = $T/db1/$tls/ca.pem|" \
    -e "s|^roles = db\$|&\ntls_cert = $T/db1/$tls/host.pem\ntls_key = $T/db1/$tls/host.key|" \
    "$C" >"$T/own.conf"
expect 0 "" "$CL" -c "$T/own.conf" --host db1 render "$T/own"
cmp -s "$T/own/$tls/host.pem" "$T/db1/$tls/host.pem" &&
	ok "tls_cert is installed as it is" || fail "tls_cert not copied"
expect 1 "own.conf:$(grep -n tls_cert "$T/own.conf" | sed -n '2s/:.*//p'): tls_cert $T/db1/$tls/host.pem: the certificate does not name 10.20.0.7" \
    "$CL" -c "$T/own.conf" --host db2 render "$T/own2"
expect 0 "configuration OK" "$CL" -c "$T/own.conf" check
echo "not a certificate" >"$T/junk.pem"
sed "s|^tls_ca = .*|tls_ca = $T/junk.pem|" "$T/own.conf" >"$T/junk.conf"
expect 78 "junk.conf:$(grep -n '^tls_ca' "$T/junk.conf" | cut -d: -f1): tls_ca $T/junk.pem: not PEM certificates" "$CL" \
    -c "$T/junk.conf" check

# nft -c needs CAP_NET_ADMIN (it asks the kernel).
if nft -c -f /dev/null 2>/dev/null; then
	for h in lb1 web1 db1 db3; do
		expect 0 "" nft -c -f "$T/$h/etc/foobar/cluster/firewall.nft"
	done
else
	echo "skip - nft -c (no CAP_NET_ADMIN)"
fi
expect 0 "configuration OK" "$BIN/foobar-webd" -t \
    -c "$T/web1/etc/foobar/cluster/webd.conf"

# The checkers refuse what apply must not install.
printf 'frontend x\n\tbind :80\n\tdefault_backend nowhere\n' >"$T/bad.cfg"
expect 1 "" haproxy -c -q -f "$T/bad.cfg"
sed 's/advert_int 1/advert_int/' "$T/lb1/etc/keepalived/keepalived.conf" \
    >"$T/bad-ka.conf"
rc=0
keepalived -t -f "$T/bad-ka.conf" >/dev/null 2>&1 || rc=$?
[ $rc != 0 ] && ok "keepalived -t refuses a broken file ($rc)" ||
	fail "keepalived -t accepted a broken file"
finish
