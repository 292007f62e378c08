#!/bin/sh
# Install the Debian 12 packages that building, testing and running foobar
# need. Idempotent: does nothing when everything is present. Run as root.
# Usage: tests/deps.sh [build|check|run|system|bench|lint|all]
set -eu

build="build-essential pkg-config libmicrohttpd-dev libgnutls28-dev
default-libmysqlclient-dev
libsystemd-dev libinih-dev libjansson-dev libzstd-dev check clang
libclang-rt-14-dev"
check="mariadb-server mariadb-client bind9-utils bind9-dnsutils nsd curl
libfcgi-bin fcgiwrap nginx-light php-fpm php-cgi php-mysql perl python3
systemd chromium procps iproute2 netcat-openbsd haproxy keepalived nftables
prometheus zstd openssl gnutls-bin testssl.sh"
package="debhelper dpkg-dev lintian fakeroot"
system="debootstrap systemd-container autopkgtest procps iproute2 tcpdump"
bench="wrk"
lint="cppcheck clang-tidy clang-format bear valgrind"

case "${1:-all}" in
build) want="$build" ;;
check) want="$build $check $package" ;;
run) want="$build mariadb-server mariadb-client bind9-utils" ;;
system) want="$build $package $system" ;;
bench) want="$build $check $bench" ;;
lint) want="$build $lint" ;;
all) want="$build $check $package $system $bench $lint" ;;
*) echo "usage: $0 [build|check|run|system|bench|lint|all]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null |
	    grep -qx installed || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "installing:$missing"
# Never start the services these packages bring (mariadb, nginx, php-fpm,
# nsd): the tests start private instances of their own.
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=yes
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
[ "$made_policy" = yes ] && rm -f "$policy"
exit 0
