# tests/lib/expect.sh - ok, fail and expect for the integration tests that
# count their checks in $fails (sourced; the caller sets fails=0).

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
