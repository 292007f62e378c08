# lib.sh - helpers for the foobar-cluster integration tests (sourced).
set -u
: "${BIN:?BIN must name the built programs}"
SRCDIR=${SRCDIR:-$(pwd)}
CL=$BIN/foobar-cluster
T=$(mktemp -d /tmp/foobar-cluster-test.XXXXXX)
fails=0
trap 'rm -rf "$T"' EXIT

# shellcheck source=tests/lib/expect.sh
. "$SRCDIR/tests/lib/expect.sh"

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
