# tests/lib/nspawn.sh - sourced by the container tests (make system-check,
# make cluster-check): the cached Debian 12 root, overlays on it, and
# booting a systemd container from one.
#
# The pristine root is cached outside the work tree (FOOBAR_SYSTEM_CACHE,
# default /var/cache/foobar-system) and rebuilt when missing or incomplete;
# runs hold a shared lock on it (fd 9) while they use it, building or
# refreshing it takes the lock exclusively. Downloaded packages are kept in
# $archives and shared by every run.
#
# The caller defines say() and die() and runs as root.

suite=bookworm
mirror=${FOOBAR_MIRROR:-http://deb.debian.org/debian}
cache=${FOOBAR_SYSTEM_CACHE:-/var/cache/foobar-system}
root=$cache/$suite
archives=$cache/apt-archives
boot_timeout=${boot_timeout:-120}   # seconds for PID 1 and is-system-running
# Packages baked into the cached root. Changing this list (or the recipe
# version) rebuilds the root on the next run.
base_pkgs="systemd,systemd-sysv,dbus"
extra_pkgs="autopkgtest dpkg-dev ca-certificates"
recipe="1 $suite $mirror $base_pkgs $extra_pkgs"

nspawn_root_ok() {
	[ -f "$root/.foobar-stamp" ] &&
	    [ "$(cat "$root/.foobar-stamp")" = "$recipe" ]
}

# Package lists older than half a day are refreshed in the cached root, with
# the updates they bring, so each run's apt sees the archive as it is.
# (apt keeps the mtime of unchanged lists, hence a stamp of our own.)
nspawn_lists_ok() {
	[ -n "$(find "$root/.foobar-lists" -mmin -720 2>/dev/null)" ]
}

# nspawn_chroot_run ROOT LOG CMD: runs a shell command in ROOT as a plain
# (not booted) container with the package archive mounted (the shared one,
# or NSPAWN_ARCHIVES where runs go side by side: apt locks that folder).
nspawn_chroot_run() {
	local dir=$1 log=$2
	shift 2
	systemd-nspawn -q -D "$dir" --register=no --keep-unit \
	    --bind="${NSPAWN_ARCHIVES:-$archives}:/var/cache/apt/archives" \
	    --setenv=DEBIAN_FRONTEND=noninteractive \
	    sh -c "$*" >"$log" 2>&1 ||
	    { tail -n 30 "$log" >&2; return 1; }
}

# nspawn_root_ensure: the cached root, built or refreshed as needed; returns
# holding the shared lock.
nspawn_root_ensure() {
	mkdir -p "$cache" "$archives/partial"
	exec 9>"$cache/lock"
	if ! nspawn_root_ok || ! nspawn_lists_ok; then
		flock -x -w 1800 9 || die "cannot lock $cache/lock"
	fi
	if ! nspawn_root_ok; then
		say "building the $suite root in $root (once)"
		rm -rf "$root" "$root.new"
		local t0
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
		# Keep downloaded packages: the archive folder is shared.
		rm -f "$root.new/etc/apt/apt.conf.d/docker-clean"
		echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' \
		    >"$root.new/etc/apt/apt.conf.d/10foobar-keep-debs"
		nspawn_chroot_run "$root.new" "$cache/root-setup.log" \
		    "apt-get update -qq && apt-get install -y -qq \
		    --no-install-recommends $extra_pkgs && apt-get -y -qq upgrade" ||
		    die "root setup failed"
		touch "$root.new/.foobar-lists"
		echo "$recipe" >"$root.new/.foobar-stamp"
		mv "$root.new" "$root"
		say "root built in $(($(date +%s) - t0))s"
	fi
	if ! nspawn_lists_ok; then
		say "refreshing the package lists of the cached root"
		nspawn_chroot_run "$root" "$cache/root-refresh.log" \
		    "apt-get update -qq && apt-get -y -qq upgrade" ||
		    die "root refresh failed"
		touch "$root/.foobar-lists"
	fi
	flock -s -w 1800 9 || die "cannot lock $cache/lock"
	# Leftovers of runs that were killed outright (no run lasts a day).
	find /var/tmp -maxdepth 1 -name 'foobar-system.*' -mmin +1440 \
	    -exec rm -rf {} + 2>/dev/null || true
}

# nspawn_overlay DIR LOWER: mounts DIR/root as an overlay with its own
# upper layer DIR/upper on LOWER (one folder, or several joined by ':',
# topmost first); a plain copy where overlayfs is not available. Returns 0
# when an overlay was mounted, 1 for a copy.
nspawn_overlay() {
	local dir=$1 lower=$2
	mkdir -p "$dir/root" "$dir/upper" "$dir/work"
	if mount -t overlay overlay \
	    -o "lowerdir=$lower,upperdir=$dir/upper,workdir=$dir/work" \
	    "$dir/root" 2>/dev/null; then
		return 0
	fi
	local l
	IFS=: read -r -a l <<<"$lower"
	local i
	for ((i = ${#l[@]} - 1; i >= 0; i--)); do
		cp -a "${l[$i]}/." "$dir/root/"
	done
	return 1
}

# nspawn_archives DIR: the run's own apt archive folder, seeded with the
# cached packages (hard links where possible): apt locks that folder, so
# concurrent runs cannot share it.
nspawn_archives() {
	mkdir -p "$1/partial"
	find "$archives" -maxdepth 1 -name '*.deb' -exec cp -l -t "$1" {} + \
	    2>/dev/null ||
	    find "$archives" -maxdepth 1 -name '*.deb' -exec cp -t "$1" {} +
}

# nspawn_archives_keep DIR: new downloads of a run go back to the shared
# archive cache.
nspawn_archives_keep() {
	[ -d "$1" ] || return 0
	find "$1" -maxdepth 1 -name '*.deb' -exec \
	    sh -c 'for f; do b=${f##*/}; [ -e "$0/$b" ] ||
		ln "$f" "$0/$b" 2>/dev/null ||
		{ cp "$f" "$0/.$b.tmp" && mv "$0/.$b.tmp" "$0/$b"; }
	    done' "$archives" {} + 2>/dev/null || true
}

# nspawn_find_pid1 NSPAWN_PID: prints the container's PID 1 once systemd
# runs there; fails after boot_timeout or when nspawn exits.
nspawn_find_pid1() {
	local p="" i
	for i in $(seq $((boot_timeout * 2))); do
		p=$(pgrep -P "$1" -x systemd || true)
		[ -n "$p" ] && { echo "$p"; return 0; }
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

# nspawn_wait_running PID1: waits until systemd in the container says
# running or degraded (printed); fails on anything else or a time-out.
nspawn_wait_running() {
	local t0 left state=""
	t0=$(date +%s)
	# PID 1 answers on its bus only after a moment; is-system-running
	# --wait fails at once without it.
	while left=$((boot_timeout - ($(date +%s) - t0))); [ "$left" -gt 0 ]; do
		state=$(timeout "$left" nsenter -t "$1" -a \
		    systemctl is-system-running --wait 2>/dev/null || true)
		case "$state" in
		""|offline|unknown) sleep 1 ;;
		*) break ;;
		esac
	done
	echo "${state:-timeout}"
	case "$state" in running|degraded) return 0 ;; esac
	return 1
}

# nspawn_in PID1 CMD...: runs a command inside the container, with a clean
# environment.
nspawn_in() {
	local p=$1
	shift
	nsenter -t "$p" -a env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    LANG=C.UTF-8 HOME=/root TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}

# nspawn_poweroff NSPAWN_PID PID1: a clean power-off, then TERM and KILL
# when the container does not go within 30 s.
nspawn_poweroff() {
	local np=$1 p=$2
	kill -0 "$np" 2>/dev/null || return 0
	[ -n "$p" ] && { nsenter -t "$p" -a systemctl poweroff >/dev/null 2>&1 || true; }
	local i
	for i in $(seq 60); do
		kill -0 "$np" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$np" 2>/dev/null; then
		say "container did not power off; killing nspawn $np"
		kill -TERM "$np" 2>/dev/null || true
		sleep 5
		kill -KILL "$np" 2>/dev/null || true
	fi
	wait "$np" 2>/dev/null || true
}
