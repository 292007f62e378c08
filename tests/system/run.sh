#!/bin/bash
# make system-check: build the packages, boot a Debian 12 systemd container,
# apt install the packages inside it and run the source package's autopkgtest
# suite (debian/tests/) there with autopkgtest's null runner, so the tests
# exercise the installed packages under a real systemd.
#
# Every binary package in build/deb/ (but -dbgsym and the several-servers
# packages foobar-cluster, -lb, -web, -db) is installed: later
# packages join the harness just by being built. The pristine container root is cached outside
# the work tree (FOOBAR_SYSTEM_CACHE, default /var/cache/foobar-system) and
# rebuilt when missing or incomplete; each run boots a throw-away copy of it.
# Logs and autopkgtest artifacts land in build/system/.
#
# Environment: FOOBAR_SYSTEM_CACHE, FOOBAR_MIRROR (Debian mirror),
# FOOBAR_SYSTEM_NO_BUILD=1 (reuse the .debs already in build/deb/),
# FOOBAR_SYSTEM_TEST=NAME (run only that test of debian/tests/control, while
# working on it; make system-check runs them all).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
debdir=$top/build/deb
out=$top/build/system
# Where the run's files appear inside the container.
cdir=/srv/foobar-system

test_timeout=900   # seconds for the whole autopkgtest run

say() { printf 'system-check: %s\n' "$*"; }
die() { printf 'system-check: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, systemd-nspawn)"
start=$(date +%s)

# 1. The packages.
if [ "${FOOBAR_SYSTEM_NO_BUILD:-}" != 1 ]; then
	FOOBAR_DEB_NEXT=1 "$top/tests/system/build-debs.sh"
fi
# cluster_deb FILE: one of several servers' packages, which are make
# cluster-check's (HAProxy would take port 80, the firewall would close
# it): left out of both sets here.
cluster_deb() {
	case $1 in
	*/foobar-cluster_* | */foobar-lb_* | */foobar-web_* | */foobar-db_* | \
	    */foobar-arbitrator_*) return 0 ;;
	esac
	return 1
}
shopt -s nullglob
debs=()
for d in "$debdir"/*.deb; do
	case $d in *-dbgsym_*) continue ;; esac
	cluster_deb "$d" && continue
	debs+=("$d")
done
shopt -u nullglob
[ ${#debs[@]} -gt 0 ] || die "no .deb in $debdir (run make deb)"

# 2. The cached root (tests/lib/nspawn.sh).
# shellcheck source=tests/lib/nspawn.sh
. "$top/tests/lib/nspawn.sh"
nspawn_root_ensure

# 3. A throw-away root for this run.
run=$(mktemp -d /var/tmp/foobar-system.XXXXXX)
nspawn_pid=""
pid1=""
test_pid=""
overlay=no
cleanup() {
	local rc=$?
	if [ -n "$test_pid" ]; then
		kill -TERM "$test_pid" 2>/dev/null || true
	fi
	[ -n "$nspawn_pid" ] && nspawn_poweroff "$nspawn_pid" "$pid1"
	nspawn_archives_keep "$run/archives"
	if [ "$overlay" = yes ]; then
		umount "$run/root" 2>/dev/null || umount -l "$run/root" || true
	fi
	rm -rf "$run"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# An overlay on the cached root (its lower layer stays untouched), or a
# plain copy where overlayfs is not available.
nspawn_overlay "$run" "$root" && overlay=yes
nspawn_archives "$run/archives"

rm -rf "$out"
mkdir -p "$out" "$run/root$cdir/debs" "$run/root$cdir/src"
cp "${debs[@]}" "$run/root$cdir/debs/"
# The higher-versioned set the upgrade test (debian/tests/upgrade) installs.
if [ -d "$debdir-next" ]; then
	mkdir -p "$run/root$cdir/debs-next"
	for d in "$debdir-next"/*.deb; do
		cluster_deb "$d" || cp "$d" "$run/root$cdir/debs-next/"
	done
fi
# autopkgtest runs the tests from the (unbuilt) source tree: only debian/
# is needed, plus anything the tests read.
cp -a "$top/debian" "$run/root$cdir/src/"

# 4. Boot it.
setsid systemd-nspawn -D "$run/root" -b --register=no --keep-unit \
    --console=pipe --machine="foobar-sc-$$" \
    --bind="$run/archives:/var/cache/apt/archives" \
    </dev/null >"$out/boot.log" 2>&1 &
nspawn_pid=$!
pid1=$(nspawn_find_pid1 "$nspawn_pid") ||
    { tail -n 30 "$out/boot.log" >&2; die "no systemd in the container"; }
say "container booted: nspawn $nspawn_pid, PID 1 is $pid1 on the host"

cin() { nspawn_in "$pid1" "$@"; }

state=$(nspawn_wait_running "$pid1") || {
	cin systemctl --no-pager --failed || true
	die "system did not come up (state: '$state')"
}
if [ "$state" = degraded ]; then
	say "system degraded; failed units:"
	cin systemctl --no-pager --failed || true
fi
say "system $state after $(($(date +%s) - start))s"

# 5. Install the packages as an administrator would.
names=()
for d in "${debs[@]}"; do
	names+=("$cdir/debs/$(basename "$d")")
done
say "installing: ${names[*]##*/}"
cin apt-get install -y -q --no-install-recommends "${names[@]}" \
    >"$out/install.log" 2>&1 ||
    { cat "$out/install.log" >&2; die "apt-get install of the packages failed"; }
cin systemctl --no-pager --failed >"$out/failed-units.log" 2>&1 || true

# 6. The autopkgtest suite, against the installed packages. The .debs are
# named too, so autopkgtest takes them from a local repository rather than
# looking for foobar packages in the Debian archive.
say "running autopkgtest"
# In the background, so that Ctrl-C or a TERM runs the cleanup at once
# (bash defers traps while a foreground command runs).
timeout --foreground "$test_timeout" nsenter -t "$pid1" -a env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 HOME=/root TERM=dumb DEBIAN_FRONTEND=noninteractive \
    autopkgtest --output-dir "$cdir/out" \
    ${FOOBAR_SYSTEM_TEST:+"--test-name=$FOOBAR_SYSTEM_TEST"} \
    "${names[@]}" "$cdir/src" -- null \
    > >(tee "$out/autopkgtest.log") 2>&1 &
test_pid=$!
rc=0
wait "$test_pid" || rc=$?
test_pid=""
cp -a "$run/root$cdir/out" "$out/autopkgtest-out" 2>/dev/null || true
cin journalctl --no-pager -b >"$out/journal.log" 2>&1 || true
if [ "$rc" != 0 ]; then
	# 2: a test was skipped; 4: a test failed; 8: no test ran; 12+: error.
	die "autopkgtest failed (exit $rc); logs in $out"
fi
# The packages tested are the ones built here, not others of the same name
# (the upgrade test leaves the build/deb-next versions installed).
next=$debdir-next
case ${FOOBAR_SYSTEM_TEST:-upgrade} in upgrade) ;; *) next=/nonexistent ;; esac
for d in "${debs[@]}"; do
	pkg=$(dpkg-deb -f "$d" Package)
	want="$pkg $(dpkg-deb -f "$d" Version)"
	for n in "$next/${pkg}"_*.deb; do
		[ -e "$n" ] && want="$pkg $(dpkg-deb -f "$n" Version)"
	done
	got=$(cin dpkg-query -W -f '${Package} ${Version}' "$pkg" \
	    2>/dev/null || true)
	[ "$got" = "$want" ] ||
	    die "installed '${got:-nothing}', built '$want'"
done
# Whatever the tests did, no unit of ours may be left failed.
failed=$(cin systemctl list-units --failed --plain --no-legend 'foobar*' || true)
if [ -n "$failed" ]; then
	echo "$failed" >&2
	die "failed foobar units after the tests; journal in $out/journal.log"
fi
say "OK: ${#debs[@]} package(s) installed and tested in $(($(date +%s) - start))s"
