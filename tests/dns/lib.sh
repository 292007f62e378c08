# lib.sh - helpers for the foobar-dns integration tests (sourced).
set -u
: "${BIN:?BIN must name the built programs}"
SRCDIR=${SRCDIR:-$(pwd)}
export FOOBAR_DNS_TODAY=20260101
T=$(mktemp -d /tmp/foobar-dns-test.XXXXXX)
# foobar-dns, its metrics textfile kept in $T (never the system's)
DNS=$T/foobar-dns
printf '#!/bin/sh\nexec "%s" --metrics-file "%s/foobar_dns.prom" "$@"\n' \
    "$BIN/foobar-dns" "$T" >"$DNS"
chmod 755 "$DNS"
fails=0
cleanup() {
	rm -rf "$T"
}
trap cleanup EXIT

# shellcheck source=tests/lib/expect.sh
. "$SRCDIR/tests/lib/expect.sh"

# checkzone ZONE FILE: named-checkzone in its strictest mode.
checkzone() {
	if out=$(named-checkzone -k fail -i full "$1" "$2" 2>&1); then
		ok "named-checkzone $1 $(basename "$2")"
	else
		fail "named-checkzone $1 $2: $out"
	fi
}

# same FILE1 FILE2: byte-identical.
same() {
	if cmp -s "$1" "$2"; then
		ok "$(basename "$1") matches $(basename "$2")"
	else
		fail "$1 differs from $2:"
		diff -u "$2" "$1" | head -40
	fi
}

finish() {
	if [ "$fails" -gt 0 ]; then
		echo "$fails failed"
		exit 1
	fi
	echo "all passed"
	exit 0
}
