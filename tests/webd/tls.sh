#!/bin/bash
# Integration test of foobar-webd over HTTPS: a test CA, an ECDSA P-256
# certificate (the default, a.test) and an RSA one chosen by SNI (b.test),
# made here with openssl and certtool; php-fpm as the FastCGI peer; real
# clients (curl, openssl s_client) on 127.0.0.1.
set -u
BIN=${BIN:-$(pwd)/build/bin}
SRCDIR=${SRCDIR:-$(pwd)}
WEBD=$BIN/foobar-webd
FPM=$(command -v php-fpm8.2 || command -v php-fpm || ls /usr/sbin/php-fpm* 2>/dev/null | head -n 1)

tmp=$(mktemp -d /tmp/webd-tls.XXXXXX)
pid= fpid= lpids=
pass=0 fail=0
cleanup() {
	for p in $lpids $pid $fpid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
not() { ! "$@"; }
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
[ -x "$FPM" ] || { echo "php-fpm is missing"; exit 1; }
command -v certtool >/dev/null || { echo "certtool (gnutls-bin) is missing"; exit 1; }

port=$(freeport)
tport=$(freeport)
mport=$(freeport)
http=http://127.0.0.1:$port
https=https://a.test:$tport
res="--resolve a.test:$tport:127.0.0.1 --resolve b.test:$tport:127.0.0.1"
res="$res --resolve www.example.org:$tport:127.0.0.1"

# --- certificates
c=$tmp/certs
mkdir "$c"
ossl() { openssl "$@" 2>>"$tmp/openssl.log"; }
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$c/ca.key" -out "$c/ca.pem" -days 30 -subj /CN=webd-test-ca
# leaf NAME KEYALG SANS: NAME.crt (leaf + CA) and NAME.key
leaf() {
	ossl req -newkey $2 -nodes -keyout "$c/$1.key" -out "$c/$1.csr" \
	    -subj "/CN=$1" &&
	printf 'subjectAltName=%s\n' "$3" >"$c/$1.ext" &&
	ossl x509 -req -in "$c/$1.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" \
	    -CAcreateserial -days 10 -extfile "$c/$1.ext" -out "$c/$1.leaf" &&
	cat "$c/$1.leaf" "$c/ca.pem" >"$c/$1.crt"
}
ec="ec -pkeyopt ec_paramgen_curve:P-256"
leaf a.test "$ec" "DNS:a.test,DNS:www.example.org,IP:127.0.0.1" &&
leaf b.test rsa:2048 "DNS:b.test" &&
leaf a2.test "$ec" "DNS:a.test,DNS:www.example.org,IP:127.0.0.1" || {
	echo "openssl could not make the test certificates"
	cat "$tmp/openssl.log"
	exit 1
}
# an expired one, which openssl 3.0's x509 cannot date in the past
certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
    --outfile "$c/old.key" 2>>"$tmp/openssl.log"
printf 'cn = "a.test"\nactivation_date = "2020-01-01 00:00:00"\nexpiration_date = "2020-02-01 00:00:00"\n' \
    >"$c/old.tmpl"
certtool --generate-certificate --load-privkey "$c/old.key" \
    --load-ca-certificate "$c/ca.pem" --load-ca-privkey "$c/ca.key" \
    --template "$c/old.tmpl" --outfile "$c/old.crt" 2>>"$tmp/openssl.log"
echo "not a certificate" >"$c/junk.pem"
cp "$c/a.test.crt" "$c/cur.crt"
cp "$c/a.test.key" "$c/cur.key"
chmod 600 "$c"/*.key

# --- the site, the ACME folder, the FastCGI peer
root=$tmp/root
acme=$tmp/acme
mkdir -p "$root/app" "$root/.well-known/acme-challenge" \
    "$acme/.well-known/acme-challenge"
echo home >"$root/index.html"
echo "in root" >"$root/.well-known/acme-challenge/rootonly"
echo secret >"$tmp/secret"
echo secret >"$acme/secret"
echo token-1 >"$acme/.well-known/acme-challenge/tok1"
ln -s "$tmp/secret" "$acme/.well-known/acme-challenge/link"
head -c 4000000 /dev/urandom >"$root/big.bin"
cat >"$root/app/env.php" <<'EOF'
<?php
foreach (["HTTPS", "REQUEST_SCHEME", "SERVER_PORT"] as $k)
	echo $k, "=", $_SERVER[$k] ?? "(unset)", "\n";
EOF
cat >"$root/app/md5.php" <<'EOF'
<?php
echo md5(file_get_contents("php://input")), "\n";
EOF
cat >"$tmp/fpm.conf" <<EOF
[global]
error_log = $tmp/fpm.log
daemonize = no
[a]
user = $(id -un)
group = $(id -gn)
listen = $tmp/a.sock
pm = static
pm.max_children = 2
EOF
"$FPM" -R -n -y "$tmp/fpm.conf" -F >>"$tmp/fpm.out" 2>&1 &
fpid=$!
for _ in $(seq 50); do [ -S "$tmp/a.sock" ] && break; sleep 0.1; done
[ -S "$tmp/a.sock" ] || { echo "php-fpm did not start"; cat "$tmp/fpm.out"; exit 1; }

# conf REDIRECT: the configuration, with redirect_https = REDIRECT
conf() {
	cat <<EOF
[server]
listen = 127.0.0.1:$port
listen_tls = 127.0.0.1:$tport
root = $root
acme_root = $acme
redirect_https = $1
access_log = $tmp/access.log
header_timeout = 2s
drain_timeout = 20s

[location /app/]
fastcgi_pass = unix:$tmp/a.sock

[metrics]
listen = 127.0.0.1:$mport

[tls]
certificate = $c/cur.crt
key = $c/cur.key
hsts = 600

[tls b.test]
certificate = $c/b.test.crt
key = $c/b.test.key
EOF
}
conf no >"$tmp/webd.conf"

# --- -t: every bad certificate or key, exit 78 and the place named
out=$("$WEBD" -t -c "$tmp/webd.conf" 2>&1)
check "-t accepts the TLS config" [ $? -eq 0 -a "$out" = "configuration OK" ]
# bad_t NAME SED WANT: -t on the config edited by SED exits 78 and says WANT
bad_t() {
	sed "$2" "$tmp/webd.conf" >"$tmp/bad.conf"
	out=$("$WEBD" -t -c "$tmp/bad.conf" 2>&1)
	rc=$?
	if [ $rc -eq 78 ] && grep -qF -- "$3" <<<"$out"; then
		ok "-t refuses $1"
	else
		bad "-t refuses $1 (exit $rc: $out)"
	fi
}
line=$(grep -n '^certificate = .*cur.crt' "$tmp/webd.conf" | cut -d: -f1)
kline=$((line + 1))
bline=$(grep -n '^key = .*b.test.key' "$tmp/webd.conf" | cut -d: -f1)
bad_t "a missing certificate" "s|cur.crt|missing.crt|" \
    "$tmp/bad.conf:$line: certificate $c/missing.crt: No such file or directory"
bad_t "a certificate that is not PEM" "s|cur.crt|junk.pem|" \
    "$tmp/bad.conf:$line: certificate $c/junk.pem: no PEM certificate"
bad_t "a key that is not PEM" "s|cur.key|junk.pem|" \
    "$tmp/bad.conf:$kline: key $c/junk.pem: not a PEM private key"
bad_t "an expired certificate" "s|cur.crt|old.crt|; s|cur.key|old.key|" \
    "$tmp/bad.conf:$line: certificate $c/old.crt: expired on 2020-02-01"
bad_t "a key not matching the certificate" "s|cur.key|b.test.key|" \
    "$tmp/bad.conf:$kline: key $c/b.test.key does not match certificate $c/cur.crt"
bad_t "a bad key in [tls b.test]" "s|b.test.key|a.test.key|" \
    "$tmp/bad.conf:$bline: key $c/a.test.key does not match"
bad_t "listen_tls without [tls]" "/^\[tls\]/,\$d" \
    "listen_tls needs a [tls] section"
bad_t "a bad listen_tls" "s|^listen_tls = .*|listen_tls = nowhere|" \
    "$tmp/bad.conf:3: listen_tls: "
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# as root every file is readable: try as nobody
	cp "$tmp/webd.conf" "$tmp/bad.conf"
	chmod 755 "$tmp" "$c" && chmod 644 "$tmp/bad.conf" "$c"/*.crt
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$WEBD" -t -c "$tmp/bad.conf" 2>&1)
	rc=$?
	check "-t refuses an unreadable key (exit 78, file named)" eval \
	    '[ $rc -eq 78 ] && grep -qF "$tmp/bad.conf:$kline: key $c/cur.key: Permission denied" <<<"$out"'
fi

# --- start
"$WEBD" -c "$tmp/webd.conf" 2>"$tmp/webd.log" &
pid=$!
for _ in $(seq 50); do
	curl -s -o /dev/null --cacert "$c/ca.pem" $res "$https/" && break
	sleep 0.1
done
tcurl() { curl -s --max-time 10 --cacert "$c/ca.pem" $res "$@"; }
code() { curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@"; }
tcode() { tcurl -o /dev/null -w '%{http_code}' "$@"; }
hdr() { curl -s --max-time 10 -D - -o /dev/null "$@" | tr -d '\r'; }
# served NAME [s_client options]: the subject and serial of the
# certificate served for SNI NAME
served() {
	local n=$1
	shift
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$tport" \
	    -servername "$n" "$@" 2>/dev/null |
	    openssl x509 -noout -subject -serial 2>/dev/null
}
# handshake OPTIONS: 0 when s_client completes a handshake
handshake() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$tport" \
	    -servername a.test "$@" >"$tmp/s_client.out" 2>&1 &&
	    grep -q '^New, TLS' "$tmp/s_client.out"
}

check "https: 200 with the CA's certificate verified" [ "$(tcurl "$https/")" = home ]
check "https: the RSA certificate for b.test verified" [ "$(tcurl "https://b.test:$tport/")" = home ]
check "SNI a.test: the ECDSA certificate" grep -q 'subject=CN = a.test' <<<"$(served a.test)"
check "SNI b.test: the RSA certificate" grep -q 'subject=CN = b.test' <<<"$(served b.test)"
check "SNI b.test: an RSA key" eval 'echo | openssl s_client -connect 127.0.0.1:$tport -servername b.test 2>/dev/null | grep -q "Server public key is 2048 bit"'
check "SNI a.test: an EC key" eval 'echo | openssl s_client -connect 127.0.0.1:$tport -servername a.test 2>/dev/null | grep -q "Server public key is 256 bit"'
check "no SNI: the default" grep -q 'subject=CN = a.test' <<<"$(echo | openssl s_client -connect "127.0.0.1:$tport" -noservername 2>/dev/null | openssl x509 -noout -subject)"
check "unknown name: the default" grep -q 'subject=CN = a.test' <<<"$(served other.test)"
check "plain: 200" [ "$(curl -s "$http/")" = home ]

# --- records read ahead (webd reads a record's header and body, and what
# follows, with one recv): several requests in one record, one request
# over many records, a body over many full records
cat >"$tmp/records.py" <<'EOF'
import socket, ssl, sys, time
# argv: port, CA file, mode; prints the 200s answered and the bodies seen.
#   pipelined: three requests in one record
#   bytes:     one request, a record per byte
#   records:   three requests, a record each, sent in one segment (webd's
#              read-ahead takes all three with one recv: the second and
#              third wait in webd, not in the socket, and must be served)
#   split:     the same with the third record cut in two, the rest sent
#              0.3 s later
# TLS runs over memory buffers, so the records leave as this script says.
port, ca, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
raw = socket.create_connection(("127.0.0.1", port), timeout=10)
raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(inc, out, server_hostname="a.test")


def pull():
    d = raw.recv(65536)
    if not d:
        return False
    inc.write(d)
    return True


def flush():
    d = out.read()
    if d:
        raw.sendall(d)


while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        flush()
        if not pull():
            sys.exit("closed during the handshake")
flush()
req = b"GET / HTTP/1.1\r\nHost: a.test\r\n"
last = req + b"Connection: close\r\n\r\n"
if mode == "pipelined":
    tls.write((req + b"\r\n") * 2 + last)
    flush()
elif mode == "bytes":
    for b in last:
        tls.write(bytes([b]))
        flush()
else:
    for r in (req + b"\r\n", req + b"\r\n", last):
        tls.write(r)
    wire = out.read()
    if mode == "records":
        raw.sendall(wire)
    else:
        raw.sendall(wire[:-20])
        time.sleep(0.3)
        raw.sendall(wire[-20:])
data = b""
while True:
    try:
        d = tls.read(65536)
        if not d:
            break
        data += d
    except ssl.SSLWantReadError:
        flush()
        if not pull():
            break
    except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
        break
print(data.count(b"HTTP/1.1 200 OK"), data.count(b"\r\n\r\nhome\n"))
EOF
check "three requests in one TLS record: three answers" \
    [ "$(python3 "$tmp/records.py" "$tport" "$c/ca.pem" pipelined)" = "3 3" ]
check "one request over a TLS record per byte: answered" \
    [ "$(python3 "$tmp/records.py" "$tport" "$c/ca.pem" bytes)" = "1 1" ]
check "three records in one segment: three answers" \
    [ "$(python3 "$tmp/records.py" "$tport" "$c/ca.pem" records)" = "3 3" ]
check "three records, the last one cut in two: three answers" \
    [ "$(python3 "$tmp/records.py" "$tport" "$c/ca.pem" split)" = "3 3" ]
head -c 300000 /dev/urandom >"$tmp/body.bin"
check "a 300 kB POST body over https arrives whole" [ "$(tcurl \
    -H 'Content-Type: application/octet-stream' \
    --data-binary @"$tmp/body.bin" "$https/app/md5.php")" = \
    "$(md5sum <"$tmp/body.bin" | cut -d' ' -f1)" ]
check "a 4 MB download over https arrives whole" [ "$(tcurl "$https/big.bin" |
    md5sum)" = "$(md5sum <"$root/big.bin")" ]
check "a range of it over https, read from the file" [ "$(tcurl \
    -r 100000-299999 "$https/big.bin" | md5sum)" = "$(tail -c +100001 \
    "$root/big.bin" | head -c 200000 | md5sum)" ]

# --- protocols and suites; each refusal has an accepted twin
check "TLS 1.3 accepted" handshake -tls1_3
check "TLS 1.2 accepted (client at security level 0)" handshake -tls1_2 -cipher 'DEFAULT:@SECLEVEL=0'
check "TLS 1.1 refused" not handshake -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
check "TLS 1.0 refused" not handshake -tls1 -cipher 'DEFAULT:@SECLEVEL=0'
check "TLS 1.2 ECDHE-ECDSA-AES128-GCM accepted" handshake -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
check "TLS 1.2 ECDHE-ECDSA-CHACHA20 accepted" handshake -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305
check "TLS 1.2 ECDHE-RSA-AES256-GCM accepted (b.test)" eval 'echo | openssl s_client -connect 127.0.0.1:$tport -servername b.test -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 2>&1 | grep -q "^New, TLS"'
check "non-AEAD AES128-SHA refused" not handshake -tls1_2 -cipher AES128-SHA
check "non-AEAD ECDHE-ECDSA-AES128-SHA refused" not handshake -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA
check "non-AEAD ECDHE-ECDSA-AES128-SHA256 refused" not handshake -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256
check "RSA key exchange refused (b.test)" not eval 'echo | timeout 10 openssl s_client -connect 127.0.0.1:$tport -servername b.test -tls1_2 -cipher AES128-GCM-SHA256 2>&1 | grep -q "^New, TLS"'
check "DHE refused (b.test)" not eval 'echo | timeout 10 openssl s_client -connect 127.0.0.1:$tport -servername b.test -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 2>&1 | grep -q "^New, TLS"'

# --- Debian's testssl.sh: protocols, cipher categories, forward secrecy
# (about 30 s; its whole run, vulnerabilities too, is bench/webd-testssl.sh)
if command -v testssl >/dev/null; then
	# NO_ENGINE: testssl's own OpenSSL without the GOST engine (Debian 12
	# has none for OpenSSL 3) would add an "engine_problem" WARN about the
	# client, not about the server under test
	NO_ENGINE=true timeout 300 testssl --quiet --color 0 --warnings off -p -s -f \
	    --jsonfile "$tmp/testssl.json" "127.0.0.1:$tport" \
	    >"$tmp/testssl.out" 2>&1
	testssl_findings() {
		python3 - "$tmp/testssl.json" <<'PY'
import json, sys
for f in json.load(open(sys.argv[1])):
    print(f["id"], f["severity"], f["finding"])
PY
	}
	testssl_findings >"$tmp/testssl.txt" 2>&1
	# offered ID...: 0 when testssl found each ID "offered"
	offered() {
		for _id; do
			grep -q "^$_id [A-Z]* offered" "$tmp/testssl.txt" || return 1
		done
	}
	check "testssl: SSLv2, SSLv3, TLS 1.0, TLS 1.1 not offered" eval '[ "$(grep -c "^\(SSLv2\|SSLv3\|TLS1\|TLS1_1\) [A-Z]* not offered$" "$tmp/testssl.txt")" = 4 ]'
	check "testssl: TLS 1.2, TLS 1.3, AEAD, forward secrecy offered" \
	    offered TLS1_2 TLS1_3 cipherlist_STRONG PFS
	check "testssl: no NULL, anonymous, export, LOW, 3DES/IDEA or CBC suite" eval '[ "$(grep -c "^cipherlist_\(NULL\|aNULL\|EXPORT\|LOW\|3DES_IDEA\|AVERAGE\) [A-Z]* not offered$" "$tmp/testssl.txt")" = 6 ]'
	check "testssl: every finding OK or INFO" eval '[ "$(wc -l <"$tmp/testssl.txt")" -ge 15 ] &&
	    ! grep -v " OK \| INFO " "$tmp/testssl.txt"'
else
	bad "testssl is missing (tests/deps.sh installs testssl.sh)"
fi

# --- session resumption: tickets, TLS 1.3 and 1.2
rm -f "$tmp/sess"
# TLS 1.3 sends its tickets after the handshake: the client must stay
# until an answer came (the request closes the connection), or it may
# leave before reading one (flaky on a loaded machine).
printf 'GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n' |
    timeout 10 openssl s_client -connect "127.0.0.1:$tport" -servername a.test \
    -ign_eof -sess_out "$tmp/sess" >/dev/null 2>&1
check "TLS 1.3 session resumed from a ticket" eval 'echo | openssl s_client -connect 127.0.0.1:$tport -servername a.test -sess_in $tmp/sess 2>/dev/null | grep -q "^Reused, TLSv1.3"'
check "TLS 1.2 sessions resumed (-reconnect)" eval '[ "$(echo | openssl s_client -connect 127.0.0.1:$tport -servername a.test -tls1_2 -reconnect 2>/dev/null | grep -c "^Reused, TLSv1.2")" -ge 4 ]'

# --- FastCGI, HSTS, the access log, /metrics
env=$(tcurl "$https/app/env.php")
check "FastCGI over https: HTTPS=on" grep -qx 'HTTPS=on' <<<"$env"
check "FastCGI over https: REQUEST_SCHEME=https" grep -qx 'REQUEST_SCHEME=https' <<<"$env"
check "FastCGI over https: SERVER_PORT is the TLS port" grep -qx "SERVER_PORT=$tport" <<<"$env"
env=$(curl -s "$http/app/env.php")
check "FastCGI over http: no HTTPS" grep -qx 'HTTPS=(unset)' <<<"$env"
check "FastCGI over http: REQUEST_SCHEME=http" grep -qx 'REQUEST_SCHEME=http' <<<"$env"
check "FastCGI over http: SERVER_PORT is the plain port" grep -qx "SERVER_PORT=$port" <<<"$env"
h=$(hdr --cacert "$c/ca.pem" $res "$https/index.html")
check "hsts on https" grep -qx 'Strict-Transport-Security: max-age=600' <<<"$h"
h=$(hdr --cacert "$c/ca.pem" $res "$https/index.html")
check "hsts on https, cached file" grep -qx 'Strict-Transport-Security: max-age=600' <<<"$h"
check "hsts on https errors" grep -qx 'Strict-Transport-Security: max-age=600' <<<"$(hdr --cacert "$c/ca.pem" $res "$https/missing")"
check "hsts on https FastCGI answers" grep -qx 'Strict-Transport-Security: max-age=600' <<<"$(hdr --cacert "$c/ca.pem" $res "$https/app/env.php")"
check "no hsts on http" not grep -qi 'Strict-Transport' <<<"$(hdr "$http/index.html")$(hdr "$http/index.html")$(hdr "$http/missing")"
check "access log: scheme https" grep -q '"GET /app/env.php HTTP/1.1" 200 .* https$' "$tmp/access.log"
check "access log: scheme http" grep -q '"GET /app/env.php HTTP/1.1" 200 .* http$' "$tmp/access.log"
check "/metrics keeps working" grep -q '^foobar_webd_http_requests_total' <<<"$(curl -s "http://127.0.0.1:$mport/metrics")"

# --- ACME on both schemes, nothing else from acme_root
check "acme over http" [ "$(curl -s "$http/.well-known/acme-challenge/tok1")" = token-1 ]
check "acme over https" [ "$(tcurl "$https/.well-known/acme-challenge/tok1")" = token-1 ]
check "acme: not from root" [ "$(code "$http/.well-known/acme-challenge/rootonly")" = 404 ]
check "acme: a symlink out of acme_root not followed" not grep -q secret <<<"$(curl -s "$http/.well-known/acme-challenge/link")"
for t in '../../secret' '../../../secret' '%2e%2e/%2e%2e/%2e%2e/secret' '..%2f..%2f..%2fsecret'; do
	check "acme: no traversal ($t)" not grep -q secret <<<"$(curl -s --path-as-is "$http/.well-known/acme-challenge/$t")$(tcurl --path-as-is "$https/.well-known/acme-challenge/$t")"
done

# --- redirect_https = yes, by SIGHUP
conf yes >"$tmp/webd.conf"
kill -HUP "$pid"
for _ in $(seq 50); do
	[ "$(code "$http/x")" = 301 ] && break
	sleep 0.1
done
check "redirect: 301" [ "$(code "$http/a/b?x=1&y=%20z")" = 301 ]
check "redirect: path and query kept, the https port" [ "$(curl -s -o /dev/null -w '%{redirect_url}' "$http/a/b?x=1&y=%20z")" = "https://127.0.0.1:$tport/a/b?x=1&y=%20z" ]
check "redirect: the host asked for" [ "$(curl -s -o /dev/null -w '%{redirect_url}' -H "Host: www.example.org:$port" "$http/p?q")" = "https://www.example.org:$tport/p?q" ]
check "redirect: FastCGI paths too" [ "$(code "$http/app/env.php")" = 301 ]
check "redirect: a POST too" [ "$(code -d a=b "$http/app/env.php")" = 301 ]
check "redirect: followed to https" [ "$(tcurl -L -H "Host: www.example.org:$port" "http://127.0.0.1:$port/")" = home ]
check "redirect: none on https" [ "$(tcode "$https/index.html")" = 200 ]
check "redirect: a bad Host is refused" [ "$(code -H 'Host: a/b' "$http/")" = 400 ]
check "redirect: acme over http still served" [ "$(curl -s "$http/.well-known/acme-challenge/tok1")" = token-1 ]
check "redirect: acme missing file 404, not 301" [ "$(code "$http/.well-known/acme-challenge/none")" = 404 ]
for t in '../../../secret' '%2e%2e/%2e%2e/%2e%2e/secret'; do
	check "redirect: acme, no traversal ($t)" not grep -q secret <<<"$(curl -s --path-as-is "$http/.well-known/acme-challenge/$t")"
done

# --- the handshake deadline (header_timeout = 2s): silent and slow
# clients are dropped while others are served; each logged once, without
# what the client sent
cat >"$tmp/stall.py" <<'EOF'
import socket, sys, time
# argv: port, mode (silent | half); prints the seconds until closed
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
if sys.argv[2] == "half":
    # the start of a ClientHello claiming 512 bytes, with a marker
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"MARKER-XYZ" * 3)
s.settimeout(30)
try:
    while s.recv(4096):
        pass
except (socket.timeout, OSError):
    pass
print("%.1f" % (time.monotonic() - t0))
EOF
before=$(grep -c 'TLS handshake not done within header_timeout' "$tmp/webd.log")
python3 "$tmp/stall.py" "$tport" silent >"$tmp/silent.t" &
s1=$!
python3 "$tmp/stall.py" "$tport" half >"$tmp/half.t" &
s2=$!
sleep 0.5
check "served while two clients stall their handshake" [ "$(tcurl "$https/")" = home ]
wait $s1 $s2
check "a silent TLS client dropped after the deadline ($(cat "$tmp/silent.t") s)" \
    awk '$1 >= 1.5 && $1 < 10 { ok = 1 } END { exit !ok }' "$tmp/silent.t"
check "half a ClientHello dropped after the deadline ($(cat "$tmp/half.t") s)" \
    awk '$1 >= 1.5 && $1 < 10 { ok = 1 } END { exit !ok }' "$tmp/half.t"
sleep 0.3
after=$(grep -c 'TLS handshake not done within header_timeout' "$tmp/webd.log")
check "each stalled handshake logged once" [ $((after - before)) -eq 2 ]
before=$(grep -c 'TLS handshake failed' "$tmp/webd.log")
printf 'GET /MARKER-XYZ HTTP/1.0\r\n\r\n' | timeout 5 nc -q 2 127.0.0.1 "$tport" >/dev/null 2>&1
handshake -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
sleep 0.3
after=$(grep -c 'TLS handshake failed' "$tmp/webd.log")
check "each failed handshake logged once" [ $((after - before)) -eq 2 ]
check "the client's bytes are not logged" not grep -q 'MARKER' "$tmp/webd.log"

# --- clients that pause in the middle of their handshake: each finishes
# and is answered, and while 50 of them wait for their second flight webd
# sleeps (libmicrohttpd 0.9.75 alone would run them again on every turn of
# its loop: about 1 s of running or runnable time per second per thread).
# A second webd, with room in its header_timeout for the pauses (and for
# the records below).
pport=$(freeport)
cat >"$tmp/pause.conf" <<EOF
[server]
listen_tls = 127.0.0.1:$pport
root = $root
access_log = off
header_timeout = 20s

[tls]
certificate = $c/cur.crt
key = $c/cur.key
EOF
"$WEBD" -c "$tmp/pause.conf" 2>"$tmp/pause.log" &
ppid=$!
lpids="$lpids $ppid"
for _ in $(seq 50); do
	curl -s -o /dev/null --cacert "$c/ca.pem" \
	    --resolve "a.test:$pport:127.0.0.1" "https://a.test:$pport/" && break
	sleep 0.1
done
read -r answered busy < <(python3 "$SRCDIR/tests/webd/tlspause.py" "$pport" \
    "$c/ca.pem" 50 2 "$ppid")
check "50 clients pausing mid-handshake: all answered (${answered:-none})" \
    [ "${answered:-0}" = 50 ]
check "webd sleeps while 50 handshakes wait (busy ${busy:-?} s/s, < 0.2)" \
    awk -v b="${busy:-9}" 'BEGIN { exit !(b < 0.2) }'
head -c 1024 /dev/urandom >"$root/1k.bin"

# --- a small answer over TLS is one record: GnuTLS holds the header
# until the body follows (libmicrohttpd 0.9.75 sends them with two
# gnutls_record_send() calls: two records, which the client reads and
# decrypts one by one). The first answer on a connection may share its
# records with TLS 1.3's session tickets.
recs=$(python3 "$SRCDIR/tests/webd/raw.py" tlsrecords "$pport" 3 /1k.bin)
check "a 1 KiB answer over TLS in one record (records per answer: ${recs:-none})" \
    [ "${recs#* }" = "1 1" ]
recs=$(python3 "$SRCDIR/tests/webd/raw.py" tlsrecords "$pport" 2 /big.bin)
check "a 4 MB answer over TLS: its header, then records of 16 KiB, not held (${recs:-none})" \
    [ "${recs#* }" = 246 ]
# No answer waits for the kernel: libmicrohttpd corks the socket for some
# answers (and pushes them itself), webd takes the cork off after those it
# holds; in no order of answers on a connection is one left corked until
# the kernel's 200 ms timer sends it.
read -r ms kind < <(python3 "$SRCDIR/tests/webd/raw.py" tlsturns "$pport" /1k.bin 5)
check "200, 304, 404 and 206 answers in turn on a connection: none corked (slowest: ${kind:-?}, ${ms:-?} ms, < 100)" \
    awk -v m="${ms:-999}" 'BEGIN { exit !(m < 100) }'
kill "$ppid"

# --- a client that sends many requests and does not read: once the socket
# takes only part of a held answer, the next answer waits for the rest to
# leave (without that wait GnuTLS kept every later answer in memory: 9.9
# MB for the 1,000 below), and a client that stops reading for
# keepalive_timeout is dropped
sport=$(freeport)
head -c 12000 /dev/urandom >"$root/12k.bin"
sed "s/^listen_tls = .*/listen_tls = 127.0.0.1:$sport/; s/^header_timeout = .*/keepalive_timeout = 2s/" \
    "$tmp/pause.conf" >"$tmp/stall.conf"
"$WEBD" -c "$tmp/stall.conf" 2>"$tmp/stall.log" &
spid=$!
lpids="$lpids $spid"
for _ in $(seq 50); do
	curl -sk -o /dev/null "https://127.0.0.1:$sport/12k.bin" && break
	sleep 0.1
done
read -r whole grown < <(python3 "$SRCDIR/tests/webd/raw.py" tlspipeline \
    "$sport" 1000 /12k.bin 1 "$spid")
check "1,000 pipelined 12 kB answers to a client that reads late: all whole (${whole:-none})" \
    [ "${whole:-0}" = 1000 ]
check "... held one at a time: webd grew ${grown:-?} kB (< 2048)" \
    [ "${grown:-99999}" -lt 2048 ]
read -r whole grown < <(python3 "$SRCDIR/tests/webd/raw.py" tlspipeline \
    "$sport" 1000 /12k.bin 4 "$spid")
check "a client that stops reading for keepalive_timeout is dropped (${whole:-none} answers of 1000)" \
    [ "${whole:-1000}" -lt 1000 ]
check "... and logged" grep -q 'client stopped reading for keepalive_timeout, closing' "$tmp/stall.log"
check "webd serves on after both" [ "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$sport/12k.bin")" = 200 ]
kill "$spid"

# --- SIGHUP: a new certificate under a steady load, with no failed
# request; a download in flight finishes on the old one
serial() { served a.test | sed -n 's/^serial=//p'; }
old=$(serial)
tcurl --limit-rate 1m -o "$tmp/big.out" "$https/big.bin" &
dl=$!
lpids=$dl
for _ in $(seq 150); do tcode "$https/index.html"; echo; done >"$tmp/codes" &
loop=$!
lpids="$lpids $loop"
sleep 0.5
cp "$c/a2.test.crt" "$c/cur.crt"
cp "$c/a2.test.key" "$c/cur.key"
kill -HUP "$pid"
for _ in $(seq 50); do
	[ "$(serial)" != "$old" ] && break
	sleep 0.1
done
new=$(serial)
check "SIGHUP: the new certificate is served ($old -> $new)" [ -n "$new" -a "$new" != "$old" ]
check "SIGHUP: its serial is the new file's" [ "$new" = "$(openssl x509 -in "$c/a2.test.crt" -noout -serial | sed 's/^serial=//')" ]
wait $loop
check "SIGHUP: no failed request over https ($(sort "$tmp/codes" | uniq -c | tr '\n' ' '))" [ "$(sort -u "$tmp/codes")" = 200 ]
wait $dl
check "SIGHUP: the download in flight completed" cmp -s "$tmp/big.out" "$root/big.bin"
lpids=
# a bad key is refused, and the certificate in use stays
cp "$c/b.test.key" "$c/cur.key"
kill -HUP "$pid"
for _ in $(seq 50); do
	grep -q 'reload refused' "$tmp/webd.log" && break
	sleep 0.1
done
check "SIGHUP with a bad key: refused, file named" grep -q "reload refused, old configuration kept: $tmp/webd.conf:$kline: key $c/cur.key does not match certificate $c/cur.crt" "$tmp/webd.log"
check "SIGHUP with a bad key: the old certificate still served" [ "$(serial)" = "$new" ]
check "SIGHUP with a bad key: still serving" [ "$(tcurl "$https/")" = home ]
cp "$c/old.crt" "$c/cur.crt"
cp "$c/old.key" "$c/cur.key"
kill -HUP "$pid"
for _ in $(seq 50); do
	grep -q 'reload refused.*expired' "$tmp/webd.log" && break
	sleep 0.1
done
check "SIGHUP with an expired certificate: refused" grep -q "reload refused.*certificate $c/cur.crt: expired on" "$tmp/webd.log"
check "SIGHUP with an expired certificate: the old one still served" [ "$(serial)" = "$new" ]
check "still running" kill -0 "$pid"
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "SIGTERM: stopped" not kill -0 "$pid" 2>/dev/null
pid=

# --- systemd passes the sockets, the https one by name
cp "$c/a.test.crt" "$c/cur.crt"
cp "$c/a.test.key" "$c/cur.key"
sport=$(freeport)
stport=$(freeport)
systemd-socket-activate -l "127.0.0.1:$sport" -l "127.0.0.1:$stport" \
    --fdname=http:https "$WEBD" -c "$tmp/webd.conf" 2>"$tmp/sd.log" &
pid=$!
sleep 0.5
check "systemd: plain on the socket named http" [ "$(curl -s --max-time 5 "http://127.0.0.1:$sport/.well-known/acme-challenge/tok1")" = token-1 ]
check "systemd: https on the socket named https" [ "$(curl -s --max-time 5 --cacert "$c/ca.pem" --resolve "a.test:$stport:127.0.0.1" "https://a.test:$stport/")" = home ]
check "systemd: redirect to the https socket's port" [ "$(curl -s -o /dev/null -w '%{redirect_url}' "http://127.0.0.1:$sport/x")" = "https://127.0.0.1:$stport/x" ]
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=
# an https socket and no certificate: a configuration error
printf '[server]\nroot = %s\n' "$root" >"$tmp/nocert.conf"
systemd-socket-activate -l "127.0.0.1:$stport" --fdname=https \
    "$WEBD" -c "$tmp/nocert.conf" 2>"$tmp/sd2.log" &
pid=$!
sleep 0.3
curl -s --max-time 3 -o /dev/null "http://127.0.0.1:$stport/"
wait "$pid"
rc=$?
pid=
check "systemd: an https socket without [tls]: exit 78" [ $rc -eq 78 ]
check "systemd: ... and said so" grep -q 'no \[tls\] section' "$tmp/sd2.log"

# --- the shipped config: https on, from the installation's certificate
# (the snakeoil links, then certbot's copies: foobar-webd(8))
check "the shipped webd.conf serves https from /etc/foobar/tls" eval \
    'grep -q "^listen_tls = " "$SRCDIR/etc/webd.conf" &&
    grep -q "^certificate = /etc/foobar/tls/fullchain.pem$" "$SRCDIR/etc/webd.conf" &&
    grep -q "^key = /etc/foobar/tls/privkey.pem$" "$SRCDIR/etc/webd.conf"'
sed -e "s|/usr/share/foobar/www|$root|; s|/var/lib/foobar/acme|$acme|" \
    -e "s|/etc/foobar/tls/fullchain.pem|$c/a.test.crt|" \
    -e "s|/etc/foobar/tls/privkey.pem|$c/a.test.key|" \
    "$SRCDIR/etc/webd.conf" >"$tmp/shipped.conf"
check "the shipped webd.conf passes -t with its certificate in place" \
    "$WEBD" -t -c "$tmp/shipped.conf"
sed -e "s|/usr/share/foobar/www|$root|; s|/var/lib/foobar/acme|$acme|" \
    -e "s|/etc/foobar/tls/|$tmp/none/|" \
    "$SRCDIR/etc/webd.conf" >"$tmp/shipped-nocert.conf"
"$WEBD" -t -c "$tmp/shipped-nocert.conf" 2>"$tmp/shipped-nocert.log"
rc=$?
check "... and without it: exit 78 naming the certificate" eval \
    '[ $rc -eq 78 ] && grep -q "$tmp/none/fullchain.pem" "$tmp/shipped-nocert.log"'

echo "tls: $pass passed, $fail failed"
[ $fail -eq 0 ]
