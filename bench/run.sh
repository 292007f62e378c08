#!/bin/sh
# bench/run.sh - `make bench`: runs every benchmark script bench/*.sh (all
# but this one) with the build folder as argument; each prints its table
# and updates its own section of bench/RESULTS.md.
# usage: bench/run.sh [O]   B=PATTERN runs only the scripts whose name
# contains PATTERN.
set -u
O=${1:-build}
dir=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$dir"/*.sh; do
	name=$(basename "$b")
	[ "$name" = run.sh ] && continue
	case "$name" in *"${B:-}"*) ;; *) continue ;; esac
	echo "== $name"
	if ! sh "$b" "$O"; then
		echo "== $name FAILED"
		rc=1
	fi
done
exit $rc
