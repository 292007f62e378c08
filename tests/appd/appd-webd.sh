#!/bin/sh
# tests/appd/appd-webd.sh - the whole stack: MariaDB, foobar-appd with
# guestbook.so, foobar-webd serving the default site (webd/www) and
# forwarding /api/ and /cgi-bin/ over FastCGI. The guestbook API end to
# end through webd with every bad input, then a real browser (headless
# Chromium over the DevTools pipe) posts through the form, sees the
# message, reloads, still sees it, and sees a readable error once appd is
# gone. The browser does it first over https, with a certificate made
# here that it trusts by its key's hash for this test only (and refuses
# without).
. "$(dirname "$0")/lib.sh"

db_setup
cp "$SRCDIR/appd/cgi-bin/hello.pl" "$T/cgi/"
appd_conf workers=2
appd_start 2 || exit 1
. "$(dirname "$0")/http.sh"
TPORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
# a self-signed ECDSA P-256 certificate for 127.0.0.1, and the base64
# SHA-256 of its public key (what --ignore-certificate-errors-spki-list
# takes)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/tls.key" -out "$T/tls.crt" -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 2>"$T/openssl.log" ||
    fail "openssl could not make the test certificate"
chmod 600 "$T/tls.key"
SPKI=$(openssl x509 -in "$T/tls.crt" -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
    base64)
cat >"$T/webd.conf" <<E
[server]
listen = 127.0.0.1:$PORT
listen_tls = 127.0.0.1:$TPORT
root = $SRCDIR/webd/www
index = index.html
access_log = $T/access.log
[location /api/]
fastcgi_pass = unix:$SOCK
[location /cgi-bin/]
fastcgi_pass = unix:$SOCK
[tls]
certificate = $T/tls.crt
key = $T/tls.key
E
front_start "$T/webd.log" / "$BIN/foobar-webd" -c "$T/webd.conf"

http GET /
check "site index from webd" eval 'expect 200 && grep -q guestbook.js "$OUT"'
http GET /guestbook.js
check "site script" eval 'expect 200 && grep -qi "^content-type: .*javascript" "$T/head"'
http GET /api/health
check "health via webd" eval 'expect 200 && grep -q "\"db\":\"ok\"" "$OUT"'
http POST /api/messages application/json '{"name":"Webd","text":"through webd"}'
check "POST 201 + Location via webd" eval 'expect 201 &&
    grep -qi "^Location: /api/messages/" "$T/head"'
http GET "/api/messages?limit=1"
check "listed via webd" eval 'expect 200 && grep -q "through webd" "$OUT"'
http PATCH /api/messages
check "405 + Allow via webd" eval 'expect 405 &&
    grep -qi "^Allow: GET, HEAD, POST" "$T/head"'
n65=$(printf '%065d' 0 | tr 0 n)
t1001=$(printf '%01001d' 0 | tr 0 t)
bad_posts "bad input via webd" \
    '400|application/json|{"name":"a",' \
    '400|application/json|[1,2]' \
    '400|application/json|' \
    '422|application/json|{"name":"","text":"x"}' \
    '422|application/json|{"name":" ","text":"x"}' \
    '422|application/json|{"name":"x","text":""}' \
    '422|application/json|{"name":"x"}' \
    '422|application/json|{"name":5,"text":"x"}' \
    "422|application/json|{\"name\":\"$n65\",\"text\":\"x\"}" \
    "422|application/json|{\"name\":\"x\",\"text\":\"$t1001\"}" \
    '422|application/x-www-form-urlencoded|name=%FF&text=x' \
    '422|application/x-www-form-urlencoded|name=x&text=%ED%A0%80' \
    '400|application/x-www-form-urlencoded|name=%Z1&text=x' \
    '415|text/plain|hi'
printf '{"name":"a","text":"\377\376"}' >"$T/bad.json"
ST=$(curl -s -o "$OUT" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary @"$T/bad.json" "$URL/api/messages")
check "invalid UTF-8 in JSON via webd 400" expect 400
http GET "/api/messages?limit=0"
check "limit=0 via webd 400" expect 400
http GET "/cgi-bin/hello.pl?w=1"
check "Perl CGI via webd" eval 'expect 200 && grep -q "query: w=1" "$OUT"'
check "only the valid posts stored" eval '[ "$(mariadb_sql "SELECT COUNT(*)
    FROM gb.messages")" = 1 ]'

ST=$(curl -s -o "$OUT" -w '%{http_code}' --cacert "$T/tls.crt" \
    "https://127.0.0.1:$TPORT/api/health")
check "health via webd over https" eval 'expect 200 &&
    grep -q "\"db\":\"ok\"" "$OUT"'

# --- a real browser, over https then over http
if command -v chromium >/dev/null 2>&1; then
	timeout 120 $PY "$SRCDIR/tests/appd/browser.py" --spki="$SPKI" \
	    "https://127.0.0.1:$TPORT/" "Chromium TLS" "posted over https ✓" \
	    >"$T/browser-tls.out" 2>&1
	rc=$?
	cat "$T/browser-tls.out"
	check "browser over https: refused untrusted, post, list, reload" \
	    eval '[ $rc = 0 ] && ! grep -q "^FAIL" "$T/browser-tls.out" &&
	    grep -q "^ok   page served over https" "$T/browser-tls.out"'
	check "browser's https post stored once" eval '[ "$(mariadb_sql "SELECT
	    COUNT(*) FROM gb.messages WHERE name = '"'"'Chromium TLS'"'"'")" = 1 ]'
	check "the form's POST came over https (access log)" grep -q \
	    '"POST /api/messages HTTP/1.1" 201 .* https$' "$T/access.log"
	timeout 120 $PY "$SRCDIR/tests/appd/browser.py" "$URL/" "Chromium" \
	    "posted from a real browser ✓" "kill $APPD_PID; sleep 1" \
	    >"$T/browser.out" 2>&1
	rc=$?
	cat "$T/browser.out"
	check "browser: post, list, reload, error shown" eval \
	    '[ $rc = 0 ] && ! grep -q "^FAIL" "$T/browser.out"'
	# the browser stopped appd (or did not get that far): reap or stop it
	appd_stop
	check "browser's message stored once" eval '[ "$(mariadb_sql "SELECT
	    COUNT(*) FROM gb.messages WHERE name = '"'"'Chromium'"'"'")" = 1 ]'
else
	fail "chromium is not installed (tests/deps.sh)"
fi
finish
