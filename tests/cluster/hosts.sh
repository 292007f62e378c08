# tests/cluster/hosts.sh - sourced by tests/cluster/run.sh: the hosts of make
# cluster-check, their image layers, and how to reach them.

NET=10.20.0
VIP=$NET.10
HOSTS="lb1 lb2 web1 web2 db1 db2 db3 client"
DBS="db1 db2 db3"
declare -A ADDR=([lb1]=$NET.2 [lb2]=$NET.3 [web1]=$NET.4 [web2]=$NET.5
    [db1]=$NET.6 [db2]=$NET.7 [db3]=$NET.8 [client]=$NET.100)
declare -A ROLE=([lb1]=lb [lb2]=lb [web1]=web [web2]=web [db1]=db
    [db2]=db [db3]=db [client]=client)
declare -A NSPAWN=() PID1=()
layer_pids=""
capture_pids=""
netns_made=no
ns=""
run=""

# What each role's layer installs: our packages (from build/deb) and the
# Debian ones the test itself uses there.
role_debs() {
	case $1 in
	lb) echo "foobar-cluster foobar-lb foobar-arbitrator" ;;
	web) echo "foobar-cluster foobar-web foobar-webd foobar-appd foobar-dbmigrate foobar-dns" ;;
	db) echo "foobar-cluster foobar-db" ;;
	client) echo "" ;;
	esac
}
# netbase: /etc/protocols and /etc/services, on every real server (nft
# and wrk look names up there); minbase has none.
role_pkgs() {
	case $1 in
	lb) echo "netbase iproute2 procps socat curl" ;;
	web) echo "netbase iproute2 procps curl socat" ;;
	db) echo "netbase iproute2 procps" ;;
	client) echo "iproute2 procps curl wrk python3 netbase" ;;
	esac
}

# deb_file NAME: the .deb of package NAME in DIR.
deb_file() {
	local f
	for f in "$2/$1"_*.deb; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# layer_build ROLE: $run/layer-ROLE/upper holds what installing the role's
# packages on the cached root changed (services are not started: no
# systemd runs there, and a policy-rc.d says no to the init scripts).
layer_build() {
	local role=$1 dir=$run/layer-$1 d f list="" log=$out/layer-$1.log
	mkdir -p "$dir"
	nspawn_overlay "$dir" "$root" || die "layer $role: no overlayfs here"
	mkdir -p "$dir/root/srv/debs" "$dir/archives"
	for d in $(role_debs "$role"); do
		f=$(deb_file "$d" "$debdir") || die "layer $role: no $d in $debdir"
		cp "$f" "$dir/root/srv/debs/"
		list="$list /srv/debs/${f##*/}"
	done
	nspawn_archives "$dir/archives"
	printf '#!/bin/sh\nexit 101\n' >"$dir/root/usr/sbin/policy-rc.d"
	chmod 755 "$dir/root/usr/sbin/policy-rc.d"
	NSPAWN_ARCHIVES=$dir/archives nspawn_chroot_run "$dir/root" "$log" \
	    "apt-get install -y -q --no-install-recommends $list $(role_pkgs "$role")" ||
	    { umount "$dir/root"; die "layer $role: apt-get install failed"; }
	rm -f "$dir/root/usr/sbin/policy-rc.d"
	umount "$dir/root"
	nspawn_archives_keep "$dir/archives"
	rm -rf "$dir/archives" "$dir/work"
}

# host_prepare HOST: its overlay on its role's layer, with the network, the
# names and the site's cluster.conf and secret (the same on every host).
host_prepare() {
	local h=$1 dir=$run/host-$1 r
	r=$dir/root
	mkdir -p "$dir"
	nspawn_overlay "$dir" "$run/layer-${ROLE[$h]}/upper:$root" ||
	    die "$h: no overlayfs here"
	echo "$h" >"$r/etc/hostname"
	{
		echo "127.0.0.1 localhost"
		echo "127.0.1.1 $h"
		local o
		for o in $HOSTS; do
			[ "$o" = "$h" ] || echo "${ADDR[$o]} $o"
		done
	} >"$r/etc/hosts"
	mkdir -p "$r/etc/systemd/network"
	printf '[Match]\nName=host0\n\n[Network]\nAddress=%s/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n' \
	    "${ADDR[$h]}" >"$r/etc/systemd/network/10-foobar-test.network"
	mkdir -p "$r/etc/systemd/system/multi-user.target.wants" \
	    "$r/etc/systemd/system/sockets.target.wants"
	ln -sf /lib/systemd/system/systemd-networkd.service \
	    "$r/etc/systemd/system/multi-user.target.wants/"
	ln -sf /lib/systemd/system/systemd-networkd.socket \
	    "$r/etc/systemd/system/sockets.target.wants/"
	mkdir -p "$r/srv/out"
	cp "$here/load.py" "$r/srv/"
	case ${ROLE[$h]} in
	web | db)
		mkdir -p "$r/srv/debs-next"
		local d f
		for d in $(role_debs "${ROLE[$h]}"); do
			f=$(deb_file "$d" "$debdir-next") && cp "$f" "$r/srv/debs-next/"
		done
		;;
	esac
	[ "$h" = client ] && return 0
	mkdir -p "$r/etc/foobar"
	cp "$out/cluster.conf" "$r/etc/foobar/cluster.conf"
	install -m 600 "$out/cluster.key" "$r/etc/foobar/cluster.key"
}

# cluster_conf: the one description of the site, and its secret.
cluster_conf() {
	{
		printf '; make cluster-check: the hosts of tests/cluster/hosts.sh\n'
		printf '[cluster]\nname = foobar\nvip = %s/24\n' "$VIP"
		printf 'secret_file = /etc/foobar/cluster.key\n'
		local h
		for h in $HOSTS; do
			[ "$h" = client ] && continue
			printf '\n[host %s]\naddress = %s\nroles = %s\n' \
			    "$h" "${ADDR[$h]}" "${ROLE[$h]}"
		done
	} >"$out/cluster.conf"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$out/cluster.key"
	echo >>"$out/cluster.key"
}

# host_boot HOST: boots it (in the background) on the test's bridge.
host_boot() {
	local h=$1
	nsenter --net="/run/netns/$ns" setsid systemd-nspawn -D "$run/host-$h/root" -b \
	    --register=no --keep-unit --console=pipe --machine="$h" \
	    --network-bridge=br0 </dev/null >>"$out/$h.boot.log" 2>&1 &
	NSPAWN[$h]=$!
	PID1[$h]=""
}

# host_wait HOST: until its systemd says running (or degraded: listed).
host_wait() {
	local h=$1 state
	PID1[$h]=$(nspawn_find_pid1 "${NSPAWN[$h]}") ||
	    { tail -n 20 "$out/$h.boot.log" >&2; die "$h: no systemd"; }
	state=$(nspawn_wait_running "${PID1[$h]}") ||
	    { hin "$h" systemctl --no-pager --failed >&2 || true
	      die "$h: system did not come up ($state)"; }
	if [ "$state" = degraded ]; then
		say "$h degraded:"
		hin "$h" systemctl --no-pager --failed || true
	fi
}

# host_poweroff HOST: a clean power-off, as machinectl poweroff does.
host_poweroff() {
	nspawn_poweroff "${NSPAWN[$1]}" "${PID1[$1]}"
	PID1[$1]=""
}

# host_poweroff_hard HOST: pulls the plug (no service is stopped first).
host_poweroff_hard() {
	local h=$1
	hin "$h" systemctl poweroff --force --force >/dev/null 2>&1 || true
	nspawn_poweroff "${NSPAWN[$h]}" ""
	PID1[$h]=""
}

# hin HOST CMD...: runs a command on a host.
hin() {
	local h=$1
	shift
	nspawn_in "${PID1[$h]}" "$@"
}

# cluster_apply HOST...: foobar-cluster apply on each, side by side. A
# host whose apply failed is given a second run, as an administrator
# would, and the first failure is shown: systemd 252 in a container on
# this machine's cgroup v1 hierarchy now and then fails to start a unit
# ("Failed to attach to cgroup ...: No such file or directory", 219/CGROUP).
cluster_apply() {
	local h pids=() i=0 rc=0
	for h; do
		hin "$h" foobar-cluster apply >"$out/$h.apply.log" 2>&1 &
		pids+=($!)
	done
	for h; do
		if ! wait "${pids[$i]}"; then
			say "$h: foobar-cluster apply failed; once more. It said:"
			sed 's/^/    /' "$out/$h.apply.log"
			hin "$h" foobar-cluster apply >"$out/$h.apply.log" 2>&1 ||
			    { rc=1; cat "$out/$h.apply.log" >&2; }
		fi
		i=$((i + 1))
	done
	[ $rc = 0 ] || die "apply failed"
}

# wait_site SECONDS: until /api/health answers 200 on the address.
wait_site() {
	local i
	for i in $(seq $(($1 * 5))); do
		[ "$(hin client curl -s -o /dev/null -m 2 -w '%{http_code}' \
		    "http://$VIP/api/health")" = 200 ] && return 0
		sleep 0.2
	done
	return 1
}

# db_capture_start: tcpdump on the test's bridge, the database ports
# between the hosts: what a client sends and Galera's connections (IST,
# SST) whole, what the servers answer cut short (the handshakes, and not
# gigabytes of result sets).
db_capture_start() {
	ip netns exec "$ns" tcpdump -Z root -i br0 -s 0 -U -n -w "$out/db-tls.pcap" \
	    'tcp and (dst port 3306 or port 4567 or port 4568 or port 4444)' \
	    >"$out/db-tls.tcpdump.log" 2>&1 &
	capture_pids="$capture_pids $!"
	ip netns exec "$ns" tcpdump -Z root -i br0 -s 160 -U -n -w "$out/db-tls-answers.pcap" \
	    'tcp src port 3306' >"$out/db-tls-answers.tcpdump.log" 2>&1 &
	capture_pids="$capture_pids $!"
}

# db_capture_stop: ends the captures (their files complete).
db_capture_stop() {
	local p
	# (a second call finds them gone: db-tls stops them in a subshell)
	for p in $capture_pids; do kill -INT "$p" 2>/dev/null || true; done
	for p in $capture_pids; do wait "$p" 2>/dev/null || true; done
	capture_pids=""
}

cluster_cleanup() {
	local rc=$? h p
	[ -n "$layer_pids" ] && kill $layer_pids 2>/dev/null
	if [ -n "$capture_pids" ]; then db_capture_stop; fi
	if [ "${FOOBAR_CLUSTER_KEEP:-}" = 1 ] && [ -n "$run" ]; then
		say "hosts left running (FOOBAR_CLUSTER_KEEP=1): run folder $run, netns $ns"
		for h in $HOSTS; do say "  $h: nsenter -t ${PID1[$h]:-?} -a bash"; done
		exit "$rc"
	fi
	for h in "${!NSPAWN[@]}"; do
		nspawn_poweroff "${NSPAWN[$h]}" "${PID1[$h]:-}" &
	done
	wait
	if [ -n "$run" ]; then
		for p in "$run"/host-*/root "$run"/layer-*/root; do
			mountpoint -q "$p" && { umount "$p" || umount -l "$p"; }
		done
		for p in "$run"/layer-*/archives; do nspawn_archives_keep "$p"; done
		rm -rf "$run"
	fi
	[ "$netns_made" = yes ] && ip netns delete "$ns"
	exit "$rc"
}
