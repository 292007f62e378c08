#!/bin/sh
# bench/webd-testssl.sh - Debian's testssl.sh, every test of its default
# run, against foobar-webd on 127.0.0.1 with a test CA and an ECDSA P-256
# certificate made here (HSTS on, an index page). Writes the verdict lines
# to bench/testssl-summary.txt (SUMMARY=FILE to write elsewhere) and fails
# on any finding of severity LOW or above, except those that belong to a
# test certificate on 127.0.0.1 and not to webd: no public chain of trust,
# revocation (no CRL or OCSP address), DNS CAA, and the HTTP security
# headers of the page (X-Frame-Options and such, a site's choice). Takes
# about 5 minutes.
# usage: bench/webd-testssl.sh [O]
. "$(dirname "$0")/lib/common.sh"
WEBD=$BIN/foobar-webd
[ -x "$WEBD" ] || { echo "no $WEBD; run make first" >&2; exit 1; }
command -v testssl >/dev/null || { echo "testssl (testssl.sh) is missing" >&2; exit 1; }
SUMMARY=${SUMMARY:-$SRCDIR/bench/testssl-summary.txt}

bench_init webd-testssl
wport=$(freeport)
tport=$(freeport)
mkdir -p "$tmp/root"
echo '<!doctype html><title>foobar</title><p>hello' >"$tmp/root/index.html"
c=$tmp
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$c/ca.key" -out "$c/ca.pem" -days 400 \
	    -subj /CN=webd-testssl-ca &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$c/key.pem" -out "$c/leaf.csr" -subj /CN=127.0.0.1 &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n' \
	    >"$c/leaf.ext" &&
	openssl x509 -req -in "$c/leaf.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" \
	    -CAcreateserial -days 365 -extfile "$c/leaf.ext" -out "$c/leaf.pem"
} 2>"$tmp/openssl.log" || { cat "$tmp/openssl.log" >&2; exit 1; }
cat "$c/leaf.pem" "$c/ca.pem" >"$c/cert.pem"
chmod 600 "$c/key.pem"

webd_conf <<CONF
listen_tls = 127.0.0.1:$tport
index = index.html
[tls]
certificate = $c/cert.pem
key = $c/key.pem
hsts = 31536000
CONF
start_webd
CURL_CA_BUNDLE=$c/ca.pem wait_urls 50 "https://127.0.0.1:$tport/" || {
	cat "$tmp/webd.log" >&2
	exit 1
}

# NO_ENGINE: testssl's own OpenSSL without the GOST engine (Debian 12 has
# none for OpenSSL 3) would add an "engine_problem" WARN about the
# client, not about the server under test (as tests/webd/tls.sh)
NO_ENGINE=true testssl --quiet --color 0 --warnings off --add-ca "$c/ca.pem" \
    --jsonfile "$tmp/testssl.json" "127.0.0.1:$tport" >"$tmp/testssl.txt" 2>&1
rc=$?

# The verdicts: protocols, cipher categories, forward secrecy, server
# preferences and vulnerabilities, one line each; then what is not OK.
{
	echo "testssl.sh $(dpkg-query -W -f='${Version}' testssl.sh 2>/dev/null)" \
	    "against foobar-webd, 127.0.0.1, $(date -u '+%Y-%m-%d %H:%M') UTC"
	echo "(ECDSA P-256 test certificate from a test CA given with --add-ca)"
	echo
	awk '
	/^ Testing protocols/ { on = 1; next }
	/^ Testing server defaults/ { on = 0 }
	/^ Testing vulnerabilities/ { on = 1; next }
	/^ Testing .* ciphers via OpenSSL/ { on = 0 }
	/^ Testing robust/ || /^ Testing server preferences/ ||
	    /^ Testing cipher categories/ { next }
	/^ Cipher order/ { skip = 1; next }
	skip && /^    / { next }
	{ skip = 0 }
	on && NF { sub(/[ \t]+$/, ""); print }' "$tmp/testssl.txt"
	echo
	$PY - "$tmp/testssl.json" <<'PY'
import collections, json, sys
found = json.load(open(sys.argv[1]))
count = collections.Counter(f["severity"] for f in found)
print("findings by severity:", ", ".join(
    "%s %d" % (k, count[k]) for k in
    ("OK", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL", "WARN") if count[k]))
for f in found:
    if f["severity"] not in ("OK", "INFO"):
        print("not OK: %s (%s): %s" % (f["id"], f["severity"], f["finding"]))
PY
} >"$tmp/summary"

# the findings that would be webd's
bad=$($PY - "$tmp/testssl.json" <<'PY'
import json, sys
allowed = ("cert_chain_of_trust", "cert_revocation", "DNS_CAArecord",
           "security_headers")
for f in json.load(open(sys.argv[1])):
    if f["severity"] not in ("OK", "INFO") and f["id"] not in allowed:
        print(f["id"], f["severity"], f["finding"])
PY
)
{
	if [ -n "$bad" ] || [ ! -s "$tmp/testssl.json" ]; then
		echo "VERDICT: FAIL (testssl exit $rc)"
		echo "$bad"
	else
		echo "VERDICT: no vulnerability, no weak protocol or cipher;" \
		    "the findings above that are not OK belong to the test" \
		    "certificate on 127.0.0.1 (no public CA, no CRL/OCSP, no DNS)" \
		    "or to the page's own HTTP headers"
	fi
} >>"$tmp/summary"
cp "$tmp/summary" "$SUMMARY"
cat "$SUMMARY"
echo "written to $SUMMARY"
[ -z "$bad" ] && [ -s "$tmp/testssl.json" ]
