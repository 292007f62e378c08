# lib.sh - helpers for the foobar-cluster integration tests (sourced).
set -u
: "${BIN:?BIN must name the built programs}"
SRCDIR=${SRCDIR:-$(pwd)}
CL=$BIN/foobar-cluster
T=$(mktemp -d /tmp/foobar-cluster-test.XXXXXX)
fails=0
trap 'rm -rf "$T"' EXIT

ok() {
	echo "ok - $*"
}

fail() {
	echo "FAIL - $*"
	fails=$((fails + 1))
}

# expect CODE TEXT CMD...: CMD exits with CODE and prints TEXT (stdout or
# stderr; "" matches anything).
expect() {
	want_rc=$1 want_text=$2
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		fail "$* exited $rc, want $want_rc: $out"
	elif [ -n "$want_text" ] && ! printf '%s\n' "$out" |
	    grep -qF -- "$want_text"; then
		fail "$* printed \"$out\", want \"$want_text\""
	else
		ok "$* -> $rc ${want_text:+($want_text)}"
	fi
}

# site: the sample site with its secret in $T/cluster.key (0600).
site() {
	head -c 32 /dev/urandom | base64 >"$T/cluster.key"
	chmod 600 "$T/cluster.key"
	sed "s|^secret_file = .*|secret_file = $T/cluster.key|" \
	    "$SRCDIR/tests/cluster/site.conf" >"$T/cluster.conf"
}

finish() {
	if [ "$fails" -gt 0 ]; then
		echo "$fails failed"
		exit 1
	fi
	exit 0
}
