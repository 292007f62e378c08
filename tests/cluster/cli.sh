#!/bin/sh
# foobar-cluster from the outside: check's verdicts and exit statuses,
# usage errors, bootstrap only on a db host of a Galera site.
. "$(dirname "$0")/lib.sh"
site
C=$T/cluster.conf

expect 0 "configuration OK" "$CL" -c "$C" check
expect 78 "bad.conf:9: unknown key \"adress\" in [host lb1]" sh -c \
	"sed 's/^address = 10.20.0.2/adress = 10.20.0.2/' '$C' >'$T/bad.conf' &&
	exec '$CL' -c '$T/bad.conf' check"
chmod 644 "$T/cluster.key"
expect 78 "$C:6: secret_file $T/cluster.key: mode 0644: group and others" \
	"$CL" -c "$C" check
chmod 600 "$T/cluster.key"
rm "$T/cluster.key"
expect 78 "No such file or directory" "$CL" -c "$C" check
site
expect 78 "$T/none.conf: No such file" "$CL" -c "$T/none.conf" check
expect 1 "bootstrap: lb1 is not a db host of a Galera site" "$CL" -c "$C" \
    --host lb1 bootstrap
expect 2 "unknown command \"aply\"" "$CL" -c "$C" aply
expect 2 "missing command" "$CL" -c "$C"
expect 2 "too many arguments" "$CL" -c "$C" check now
expect 2 "render needs a folder" "$CL" -c "$C" render
expect 1 "no host nope" "$CL" -c "$C" --host nope render "$T/r"
expect 1 "no address of $C is on this machine" "$CL" -c "$C" render "$T/r"
expect 0 "usage:" "$CL" --help
expect 0 "foobar-cluster" "$CL" -V
finish
