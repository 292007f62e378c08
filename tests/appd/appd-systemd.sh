#!/bin/sh
# tests/appd/appd-systemd.sh - foobar-appd's systemd side without PID 1:
# the socket passed by systemd-socket-activate (LISTEN_FDS) is adopted,
# READY=1 / STATUS= / RELOADING=1 / STOPPING=1 reach $NOTIFY_SOCKET, -t
# and bad configs give the documented exit statuses, and the units say
# what PRODUCT.md asks (exposure <= 1.0).
. "$(dirname "$0")/lib.sh"

appd_conf workers=2
ASOCK=$T/activated.sock
NSOCK=$T/notify.sock
cat >"$T/notify.py" <<'P'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
end = time.time() + float(sys.argv[2])
with open(sys.argv[3], "w") as out:
    while time.time() < end:
        try:
            out.write(s.recv(4096).decode() + "\n---\n")
            out.flush()
        except socket.timeout:
            pass
P
$PY "$T/notify.py" "$NSOCK" 12 "$T/notify.log" &
BGPIDS="$BGPIDS $!"
sleep 0.3

# systemd-socket-activate binds ASOCK and starts appd on the first
# connection with LISTEN_FDS=1; appd must not bind its own listen.
systemd-socket-activate -l "$ASOCK" -E NOTIFY_SOCKET="$NSOCK" \
    "$APPD" -c "$T/appd.conf" >>"$T/appd.log" 2>&1 &
APPD_PID=$!
i=0
while [ ! -S "$ASOCK" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
$FCGI "$ASOCK" GET /appd-status >"$T/out" 2>&1
check "serves on the socket it was given" grep -q "status=200" "$T/out"
check "did not bind its own listen" [ ! -e "$SOCK" ]
check "log says so" grep -q "from systemd" "$T/appd.log"
sleep 2.5
check "READY=1 sent" grep -q "^READY=1" "$T/notify.log"
check "STATUS= with workers and req/s" grep -q \
    "^STATUS=workers: 2, busy: [0-9]*, idle: [0-9]*, requests: [0-9]*, .* req/s" \
    "$T/notify.log"
kill -HUP "$APPD_PID"
sleep 1.5
check "RELOADING=1 then READY=1" eval 'sed -n "/RELOADING=1/,\$p" "$T/notify.log" |
    grep -q "^READY=1"'
kill "$APPD_PID"
wait "$APPD_PID"
rc=$?
check "SIGTERM: exit 0" [ $rc = 0 ]
APPD_PID=""
check "STOPPING=1 sent" grep -q "^STOPPING=1" "$T/notify.log"

# exit statuses
"$APPD" -c "$T/appd.conf" -t >"$T/out" 2>&1
rc=$?
check "-t: configuration OK, 0" eval '[ $rc = 0 ] && grep -q "configuration OK" "$T/out"'
printf '[server]\nworkers = 0\n' >"$T/bad.conf"
"$APPD" -c "$T/bad.conf" -t >"$T/out" 2>&1
rc=$?
check "bad value: 78 with FILE:LINE" eval '[ $rc = 78 ] &&
    grep -q "bad.conf:2: " "$T/out"'
printf '[server]\nlisten_typo = x\n' >"$T/bad.conf"
"$APPD" -c "$T/bad.conf" >"$T/out" 2>&1
rc=$?
check "unknown key: 78" eval '[ $rc = 78 ] && grep -q "bad.conf:2: " "$T/out"'
"$APPD" -x >"$T/out" 2>&1
rc=$?
check "usage error: 2" [ $rc = 2 ]
"$APPD" -V >"$T/out" 2>&1
rc=$?
check "-V" eval '[ $rc = 0 ] && grep -q "foobar-appd" "$T/out"'
"$APPD" -c "$T/nonexistent.conf" >"$T/out" 2>&1
rc=$?
check "missing config: 78" [ $rc = 78 ]

# the units say what PRODUCT.md §6 and the issue ask
U=$SRCDIR/etc/systemd
check "socket unit" eval 'grep -q "^ListenStream=/run/foobar/appd.sock" "$U/foobar-appd.socket" &&
    grep -q "^SocketUser=foobar" "$U/foobar-appd.socket" &&
    grep -q "^SocketGroup=foobar-www" "$U/foobar-appd.socket" &&
    grep -q "^SocketMode=0660" "$U/foobar-appd.socket"'
check "service unit" eval 'grep -q "^Type=notify" "$U/foobar-appd.service" &&
    grep -q "^User=foobar" "$U/foobar-appd.service" &&
    grep -q "^RestartPreventExitStatus=78" "$U/foobar-appd.service" &&
    grep -q "^ExecReload=/bin/kill -HUP \$MAINPID" "$U/foobar-appd.service" &&
    grep -q "foobar.target" "$U/foobar-appd.service"'
level=$(systemd-analyze security --offline=true "$U/foobar-appd.service" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
check "exposure $level <= 1.0" awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 1.0) }'
"$APPD" -t -c "$SRCDIR/etc/appd.conf" >/dev/null 2>&1
rc=$?
check "shipped appd.conf is valid" [ $rc = 0 ]
finish
