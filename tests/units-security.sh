#!/bin/sh
# Security gate for the systemd units: every etc/systemd/*.service must have
# a `systemd-analyze security` exposure of at most 1.0 (PRODUCT.md §3).
# Offline analysis reads the unit file alone: no PID 1 is needed, and
# neither the unit's user nor its binary has to exist.
# systemd 252 takes --threshold as an integer in tenths (10 = 1.0) and exits
# non-zero above it; the "Overall exposure level" line is checked as well.
set -u
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
max=1.0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# score UNIT: print the overall exposure of UNIT; status 1 above the limit,
# 2 when it could not be analysed.
score() {
	systemd-analyze security --offline=true --threshold=10 "$1" \
	    >"$tmp/out" 2>&1
	rc=$?
	level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
	    "$tmp/out")
	if [ -z "$level" ]; then
		cat "$tmp/out"
		return 2
	fi
	echo "$level"
	if [ "$rc" != 0 ] ||
	    awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
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
	s=$(score "$unit")
	case $? in
	0) echo "ok   $(basename "$unit") $s" ;;
	1) echo "FAIL $(basename "$unit") $s (above $max):"
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
