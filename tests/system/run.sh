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
# FOOBAR_SYSTEM_NO_BUILD=1 (reuse the .debs already in build/deb/).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
suite=bookworm
mirror=${FOOBAR_MIRROR:-http://deb.debian.org/debian}
cache=${FOOBAR_SYSTEM_CACHE:-/var/cache/foobar-system}
root=$cache/$suite
archives=$cache/apt-archives
# Packages baked into the cached root. Changing this list (or the recipe
# version) rebuilds the root on the next run.
base_pkgs="systemd,systemd-sysv,dbus"
extra_pkgs="autopkgtest dpkg-dev ca-certificates"
recipe="1 $suite $mirror $base_pkgs $extra_pkgs"
debdir=$top/build/deb
out=$top/build/system
# Where the run's files appear inside the container.
cdir=/srv/foobar-system

boot_timeout=120   # seconds for PID 1 and for is-system-running
test_timeout=900   # seconds for the whole autopkgtest run

say() { printf 'system-check: %s\n' "$*"; }
die() { printf 'system-check: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, systemd-nspawn)"
start=$(date +%s)

# 1. The packages.
if [ "${FOOBAR_SYSTEM_NO_BUILD:-}" != 1 ]; then
	FOOBAR_DEB_NEXT=1 "$top/tests/system/build-debs.sh"
fi
shopt -s nullglob
debs=()
for d in "$debdir"/*.deb; do
	# Several servers' packages are make cluster-check's (HAProxy would
	# take port 80, the firewall would close it).
	case $d in
	*-dbgsym_* | */foobar-cluster_* | */foobar-lb_* | */foobar-web_* | \
	    */foobar-db_*) continue ;;
	esac
	debs+=("$d")
done
shopt -u nullglob
[ ${#debs[@]} -gt 0 ] || die "no .deb in $debdir (run make deb)"

# 2. The cached root: debootstrap, then the packages every run needs. The
# stamp is written last, so an interrupted build is redone.
# Runs hold a shared lock on the cache while they use the root; building
# or refreshing it takes the lock exclusively.
mkdir -p "$cache" "$archives/partial"
exec 9>"$cache/lock"
root_ok() {
	[ -f "$root/.foobar-stamp" ] &&
	    [ "$(cat "$root/.foobar-stamp")" = "$recipe" ]
}
# Package lists older than half a day are refreshed in the cached root, with
# the updates they bring, so each run's apt sees the archive as it is.
# (apt keeps the mtime of unchanged lists, hence a stamp of our own.)
lists_ok() {
	[ -n "$(find "$root/.foobar-lists" -mmin -720 2>/dev/null)" ]
}
if ! root_ok || ! lists_ok; then
	flock -x -w 1800 9 || die "cannot lock $cache/lock"
fi
if ! root_ok; then
	say "building the $suite root in $root (once)"
	rm -rf "$root" "$root.new"
	t0=$(date +%s)
	debootstrap --variant=minbase --include="$base_pkgs" \
	    --cache-dir="$archives" "$suite" "$root.new" "$mirror" \
	    >"$cache/debootstrap.log" 2>&1 ||
	    { tail -n 30 "$cache/debootstrap.log" >&2; die "debootstrap failed"; }
	cat >"$root.new/etc/apt/sources.list" <<-SRC
	deb $mirror $suite main
	deb $mirror $suite-updates main
	deb ${mirror%/debian}/debian-security $suite-security main
	SRC
	echo foobar-test >"$root.new/etc/hostname"
	# Keep downloaded packages: the archive folder is shared between runs.
	rm -f "$root.new/etc/apt/apt.conf.d/docker-clean"
	echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' \
	    >"$root.new/etc/apt/apt.conf.d/10foobar-keep-debs"
	systemd-nspawn -q -D "$root.new" --register=no --keep-unit \
	    --bind="$archives:/var/cache/apt/archives" \
	    --setenv=DEBIAN_FRONTEND=noninteractive \
	    sh -c "apt-get update -qq && apt-get install -y -qq \
		--no-install-recommends $extra_pkgs && apt-get -y -qq upgrade" \
	    >"$cache/root-setup.log" 2>&1 ||
	    { tail -n 30 "$cache/root-setup.log" >&2; die "root setup failed"; }
	touch "$root.new/.foobar-lists"
	echo "$recipe" >"$root.new/.foobar-stamp"
	mv "$root.new" "$root"
	say "root built in $(($(date +%s) - t0))s"
fi
if ! lists_ok; then
	say "refreshing the package lists of the cached root"
	systemd-nspawn -q -D "$root" --register=no --keep-unit \
	    --bind="$archives:/var/cache/apt/archives" \
	    --setenv=DEBIAN_FRONTEND=noninteractive \
	    sh -c "apt-get update -qq && apt-get -y -qq upgrade" \
	    >"$cache/root-refresh.log" 2>&1 ||
	    { tail -n 30 "$cache/root-refresh.log" >&2; die "root refresh failed"; }
	touch "$root/.foobar-lists"
fi
flock -s -w 1800 9 || die "cannot lock $cache/lock"
# Leftovers of runs that were killed outright (no run lasts a day).
find /var/tmp -maxdepth 1 -name 'foobar-system.*' -mmin +1440 \
    -exec rm -rf {} + 2>/dev/null || true

# 3. A throw-away root for this run.
run=$(mktemp -d /var/tmp/foobar-system.XXXXXX)
nspawn_pid=""
test_pid=""
overlay=no
cleanup() {
	local rc=$?
	if [ -n "$test_pid" ]; then
		kill -TERM "$test_pid" 2>/dev/null || true
	fi
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		if [ -n "${pid1:-}" ]; then
			nsenter -t "$pid1" -a systemctl poweroff >/dev/null 2>&1 || true
		fi
		for _ in $(seq 60); do
			kill -0 "$nspawn_pid" 2>/dev/null || break
			sleep 0.5
		done
		if kill -0 "$nspawn_pid" 2>/dev/null; then
			say "container did not power off; killing nspawn $nspawn_pid"
			kill -TERM "$nspawn_pid" 2>/dev/null || true
			sleep 5
			kill -KILL "$nspawn_pid" 2>/dev/null || true
		fi
		wait "$nspawn_pid" 2>/dev/null || true
	fi
	# New downloads go back to the shared archive cache.
	if [ -d "$run/archives" ]; then
		find "$run/archives" -maxdepth 1 -name '*.deb' -exec \
		    sh -c 'for f; do b=${f##*/}; [ -e "$0/$b" ] ||
			ln "$f" "$0/$b" 2>/dev/null ||
			{ cp "$f" "$0/.$b.tmp" && mv "$0/.$b.tmp" "$0/$b"; }
		    done' "$archives" {} + 2>/dev/null || true
	fi
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
mkdir -p "$run/root" "$run/upper" "$run/work"
if mount -t overlay overlay -o "lowerdir=$root,upperdir=$run/upper,workdir=$run/work" \
    "$run/root" 2>/dev/null; then
	overlay=yes
else
	cp -a "$root/." "$run/root/"
fi

# The run's own apt archive folder, seeded with the cached packages (hard
# links where possible): apt locks that folder, so concurrent runs cannot
# share it.
mkdir -p "$run/archives/partial"
find "$archives" -maxdepth 1 -name '*.deb' -exec cp -l -t "$run/archives" {} + \
    2>/dev/null ||
    find "$archives" -maxdepth 1 -name '*.deb' -exec cp -t "$run/archives" {} +

rm -rf "$out"
mkdir -p "$out" "$run/root$cdir/debs" "$run/root$cdir/src"
cp "${debs[@]}" "$run/root$cdir/debs/"
# The higher-versioned set the upgrade test (debian/tests/upgrade) installs.
if [ -d "$debdir-next" ]; then
	mkdir -p "$run/root$cdir/debs-next"
	cp "$debdir-next"/*.deb "$run/root$cdir/debs-next/"
	rm -f "$run/root$cdir/debs-next"/foobar-{cluster,lb,web,db}_*.deb
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
pid1=""
for _ in $(seq $((boot_timeout * 2))); do
	pid1=$(pgrep -P "$nspawn_pid" -x systemd || true)
	[ -n "$pid1" ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.5
done
[ -n "$pid1" ] || { tail -n 30 "$out/boot.log" >&2; die "no systemd in the container"; }
say "container booted: nspawn $nspawn_pid, PID 1 is $pid1 on the host"

# cin CMD...: run a command inside the container, with a clean environment.
cin() {
	nsenter -t "$pid1" -a env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    LANG=C.UTF-8 HOME=/root TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}

# PID 1 answers on its bus only after a moment; is-system-running --wait
# fails at once without it.
t0=$(date +%s)
state=""
while left=$((boot_timeout - ($(date +%s) - t0))); [ "$left" -gt 0 ]; do
	state=$(timeout "$left" nsenter -t "$pid1" -a \
	    systemctl is-system-running --wait 2>/dev/null || true)
	case "$state" in
	""|offline|unknown) sleep 1 ;;
	*) break ;;
	esac
done
case "$state" in
running) ;;
degraded)
	say "system degraded; failed units:"
	cin systemctl --no-pager --failed || true ;;
*)
	cin systemctl --no-pager --failed || true
	die "system did not come up (state: '${state:-timeout}')" ;;
esac
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
    autopkgtest --output-dir "$cdir/out" "${names[@]}" "$cdir/src" -- null \
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
for d in "${debs[@]}"; do
	pkg=$(dpkg-deb -f "$d" Package)
	want="$pkg $(dpkg-deb -f "$d" Version)"
	for n in "$debdir-next/${pkg}"_*.deb; do
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
