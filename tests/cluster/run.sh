#!/bin/bash
# make cluster-check: the site on several hosts (PRODUCT.md §13), for real.
#
# Builds the packages (unless FOOBAR_SYSTEM_NO_BUILD=1), installs them into
# one image layer per role on top of the cached Debian 12 root of make
# system-check (tests/lib/nspawn.sh), and boots eight systemd containers, each
# an overlay of its role's layer: lb1 lb2 (foobar-lb), web1 web2
# (foobar-web), db1 db2 db3 (foobar-db, one Galera cluster) and client
# (wrk, the probe). They share one
# bridge inside a network namespace that this script creates and deletes:
# nothing routes between it and the machine's own namespace, and the load
# comes from the client host inside it. Each host gets the same
# /etc/foobar/cluster.conf and secret and runs `foobar-cluster apply`.
#
# Every scenario runs under a steady load through the floating address (two
# wrk runs: a static page and /api/messages; the probe tests/cluster/load.py:
# GETs and POSTs, every 201 remembered) and prints
#   scenario NAME: R requests, F failed, longest gap G s[, extra]
# then the summary line "cluster-check: N passed, N failed".
#
# Logs land in build/cluster/. Environment: FOOBAR_SYSTEM_NO_BUILD=1 (reuse
# build/deb and build/deb-next), FOOBAR_CLUSTER_KEEP=1 (leave the hosts
# running at the end, for a look; stop them with the printed command),
# FOOBAR_CLUSTER_ONLY="NAME ..." (run only those scenarios).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
debdir=$top/build/deb
out=$top/build/cluster
here=$top/tests/cluster

say() { printf 'cluster-check: %s\n' "$*"; }
die() { printf 'cluster-check: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, systemd-nspawn, ip netns)"
start=$(date +%s)

# shellcheck source=tests/lib/nspawn.sh
. "$top/tests/lib/nspawn.sh"
# shellcheck source=tests/cluster/hosts.sh
. "$here/hosts.sh"

# 1. The packages, built once for every host (and the next version, for
# the rolling upgrade).
if [ "${FOOBAR_SYSTEM_NO_BUILD:-}" != 1 ]; then
	FOOBAR_DEB_NEXT=1 "$top/tests/system/build-debs.sh" >/dev/null
fi
[ -d "$debdir-next" ] || die "no $debdir-next (run without FOOBAR_SYSTEM_NO_BUILD)"
rm -rf "$out"
mkdir -p "$out"

# 2. The cached root, then the run's folder and its clean-up.
nspawn_root_ensure
run=$(mktemp -d /var/tmp/foobar-system.cluster.XXXXXX)
trap cluster_cleanup EXIT
trap 'exit 130' INT TERM
ns=fbcc$$
ip netns add "$ns"
netns_made=yes
ip -n "$ns" link set lo up
ip -n "$ns" link add br0 type bridge
ip -n "$ns" link set br0 up
# The database ports on the bridge, from before the first apply to the
# last scenario (db-tls reads it: state transfers at join included).
db_capture_start

# 3. One image layer per role, built side by side.
t0=$(date +%s)
for role in lb web db client; do
	layer_build "$role" &
	layer_pids="$layer_pids $!"
done
for p in $layer_pids; do
	wait "$p" || die "a layer failed to build (logs in $out/layer-*.log)"
done
layer_pids=""
say "image layers built in $(($(date +%s) - t0))s"

# 4. The hosts.
t0=$(date +%s)
cluster_conf
for h in $HOSTS; do
	host_prepare "$h"
	host_boot "$h"
done
for h in $HOSTS; do
	host_wait "$h"
done
say "${HOSTS// /, } booted in $(($(date +%s) - t0))s"

# 5. foobar-cluster on each host: check, then apply, the database first,
# then the web hosts, then the load balancers; a second apply changes
# nothing.
for h in $HOSTS; do
	[ "$h" = client ] && continue
	hin "$h" foobar-cluster check >"$out/$h.check.log" 2>&1 ||
	    { cat "$out/$h.check.log" >&2; die "$h: foobar-cluster check failed"; }
done
# The Galera cluster: a new one started on db1, which db2 and db3 join
# (state transfer by rsync) one after the other; a second bootstrap is
# refused while the cluster runs.
hin db1 foobar-cluster bootstrap >"$out/db1.bootstrap.log" 2>&1 ||
    { cat "$out/db1.bootstrap.log" >&2; die "db1: foobar-cluster bootstrap failed"; }
for h in db2 db3 "web1 web2" "lb1 lb2"; do
	cluster_apply $h
done
if hin db2 foobar-cluster bootstrap >"$out/db2.bootstrap.log" 2>&1; then
	die "db2: a second bootstrap was not refused"
fi
grep -q 'in a primary component already' "$out/db2.bootstrap.log" ||
    { cat "$out/db2.bootstrap.log" >&2; die "db2: bootstrap refused for another reason"; }
for h in db1 db2 db3 web1 web2 lb1 lb2; do
	hin "$h" foobar-cluster apply >"$out/$h.apply2.log" 2>&1 ||
	    { cat "$out/$h.apply2.log" >&2; die "$h: second apply failed"; }
done
wait_site 60 || die "the site does not answer on $VIP after apply"
say "applied on every host; the site answers on $VIP ($(($(date +%s) - start))s in all)"

# 6. The scenarios.
# shellcheck source=tests/cluster/scenarios.sh
. "$here/scenarios.sh"
run_scenarios

say "hosts up for $(($(date +%s) - t0))s; whole run $(($(date +%s) - start))s"
echo "cluster-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
