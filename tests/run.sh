#!/bin/sh
# Runs each test given as an argument (a program or script, with optional
# arguments in the same word), logs its output under $O/test-logs, and ends
# with one summary line: "check: N passed, N failed".
# T=PATTERN keeps only the tests whose command contains PATTERN.
set -u
O=${O:-build}
SRCDIR=${SRCDIR:-$(pwd)}
export O SRCDIR
BIN=$(cd "$O" && pwd)/bin
export BIN
logs=$O/test-logs
mkdir -p "$logs"
pass=0 fail=0 skip=0 failed=""
for t in "$@"; do
	case "$t" in *"${T:-}"*) ;; *) continue ;; esac
	name=$(echo "$t" | sed 's/ .*//; s|.*/||')
	log=$logs/$name.log
	start=$(date +%s)
	# shellcheck disable=SC2086
	CK_FORK=yes timeout 900 $t >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $name (${secs}s)"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1))
		echo "SKIP $name: $(tail -n 1 "$log")"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL $name (exit $rc, ${secs}s), last lines of $log:"
		tail -n 25 "$log" | sed 's/^/    /'
	fi
done
[ -n "$failed" ] && echo "failed:$failed"
if [ $skip -gt 0 ]; then
	echo "check: $pass passed, $fail failed, $skip skipped"
else
	echo "check: $pass passed, $fail failed"
fi
[ $fail -eq 0 ]
