#!/bin/sh
# tests/lint.sh - static analysis, formatting and valgrind: the slow quality
# gates that are not part of "make check" (make lint, make valgrind).
#
# usage: tests/lint.sh cppcheck|tidy|format|all
#        tests/lint.sh valgrind TEST...
#   cppcheck   cppcheck on the C folders
#   tidy       clang-tidy on a compile_commands.json made by bear from a
#              clean build of everything in $O/lint (programs and tests)
#   format     clang-format --dry-run against .clang-format; FILES=... to
#              pick files (default: every tracked .c/.h)
#   all        cppcheck and tidy (format is a report: the tree predates
#              .clang-format)
#   valgrind   runs each TEST (a program with optional arguments in the
#              same word, as tests/run.sh takes them) under memcheck, with
#              Check's fork off so the test bodies run under valgrind too
# Environment: O (build tree, default build), MAKE, JOBS (default 2),
# LINT_BUILD (make targets under $O/lint besides "all", from the Makefile).
# Exits non-zero when any tool reports a finding; ends with one summary line.
set -u
O=${O:-build}
MAKE=${MAKE:-make}
JOBS=${JOBS:-2}
DIRS="lib dns webd appd dbmigrate backup cluster tests/unit tests/fuzz"
# bugprone-* without the checks that only flag style (swapped parameters of
# the same type, reserved names, int widening in size arithmetic, !strcmp)
# or length-counted buffers (memcpy without a NUL: every hit was one);
# cert-err34-c: atoi/sscanf that cannot report a bad number.
TIDY_CHECKS='-*,clang-analyzer-*,
-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,
bugprone-*,-bugprone-easily-swappable-parameters,
-bugprone-reserved-identifier,-bugprone-narrowing-conversions,
-bugprone-implicit-widening-of-multiplication-result,
-bugprone-suspicious-string-compare,-bugprone-not-null-terminated-result,
cert-err34-c,cert-flp30-c,
performance-*,-performance-no-int-to-ptr,portability-*,
misc-redundant-expression,misc-misplaced-const'
TIDY_CHECKS=$(printf '%s' "$TIDY_CHECKS" | tr -d '\n')
failed=""

lint_cppcheck() {
	echo "== cppcheck"
	# shellcheck disable=SC2086
	cppcheck -q -j "$JOBS" --enable=warning,portability,performance \
	    --inline-suppr --error-exitcode=1 -D_GNU_SOURCE \
	    -I lib -I include $DIRS || failed="$failed cppcheck"
}

lint_tidy() {
	echo "== clang-tidy ($O/lint/compile_commands.json)"
	mkdir -p "$O/lint"
	targets="all"
	for t in ${LINT_BUILD:-}; do
		targets="$targets $O/lint/$t"
	done
	# shellcheck disable=SC2086
	if ! bear --output "$O/lint/compile_commands.json" -- \
	    $MAKE -s -j "$JOBS" O="$O/lint" -B $targets \
	    >"$O/lint/build.log" 2>&1
	then
		tail -n 20 "$O/lint/build.log"
		failed="$failed tidy-build"
		return
	fi
	# every file built (run-clang-tidy takes regular expressions)
	files="^$(pwd)/($(echo $DIRS | tr ' ' '|'))/"
	headers="^($(pwd)/)?(lib|include/foobar|webd|appd|dns|dbmigrate|backup|cluster)/"
	run-clang-tidy -quiet -j "$JOBS" -p "$O/lint" -checks="$TIDY_CHECKS" \
	    -extra-arg=-Wno-error \
	    -header-filter="$headers" \
	    "$files" \
	    >"$O/lint/tidy.log" 2>&1
	sed 's/\x1b\[[0-9;]*m//g' "$O/lint/tidy.log" |
	    grep -E '(warning|error): ' | sed "s|^$(pwd)/||" | sort -u \
	    >"$O/lint/tidy.txt"
	cat "$O/lint/tidy.txt"
	[ -s "$O/lint/tidy.txt" ] && failed="$failed clang-tidy"
	echo "clang-tidy: $(wc -l <"$O/lint/tidy.txt") findings" \
	    "(details with notes in $O/lint/tidy.log)"
}

lint_format() {
	echo "== clang-format"
	n=0 bad=0
	for f in ${FILES:-$(git ls-files '*.c' '*.h')}; do
		lines=$(clang-format --dry-run "$f" 2>&1 | grep -c 'warning:')
		n=$((n + 1))
		if [ "$lines" -gt 0 ]; then
			bad=$((bad + 1))
			echo "$f: $lines places differ"
		fi
	done
	echo "clang-format: $bad of $n files differ"
	[ $bad -eq 0 ] || failed="$failed clang-format"
}

lint_valgrind() {
	echo "== valgrind"
	mkdir -p "$O/test-logs"
	for t in "$@"; do
		name=$(echo "$t" | sed 's/ .*//; s|.*/||')
		log=$O/test-logs/valgrind-$name.log
		# shellcheck disable=SC2086
		if CK_FORK=no CK_TIMEOUT_MULTIPLIER=20 timeout 1800 \
		    valgrind -q --error-exitcode=1 --leak-check=full \
		    --track-origins=yes $t >"$log" 2>&1; then
			echo "PASS valgrind $name"
		else
			echo "FAIL valgrind $name, last lines of $log:"
			tail -n 25 "$log" | sed 's/^/    /'
			failed="$failed valgrind-$name"
		fi
	done
}

[ $# -gt 0 ] || { sed -n '4,20p' "$0"; exit 2; }
case "$1" in
valgrind) shift; lint_valgrind "$@" ;;
all) lint_cppcheck; lint_tidy ;;
*)
	for step in "$@"; do
		case "$step" in
		cppcheck) lint_cppcheck ;;
		tidy) lint_tidy ;;
		format) lint_format ;;
		*) echo "lint.sh: unknown step $step" >&2; exit 2 ;;
		esac
	done
	;;
esac
if [ -n "$failed" ]; then
	echo "lint: failed:$failed"
	exit 1
fi
echo "lint: OK"
