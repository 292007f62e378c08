#!/bin/sh
# bench/webd-tls.sh - foobar-webd against Debian's nginx over HTTPS on
# 127.0.0.1, both with the same ECDSA P-256 certificate and key made here
# and the same files (1 KiB, 100 KiB): wrk -t2 -c64 as in webd-static.sh,
# interleaved rounds, medians and per-round ratios of
#   (a) keep-alive GETs of the 1 KiB file (target webd >= 1.0x nginx),
#   (b) new TLS connections, one request each (Connection: close), each a
#       full handshake (>= 0.8x): wrk keeps its TLS session across its
#       reconnections and so resumes on TLS 1.3 whatever the server does;
#       only TLS 1.2 without tickets forces a full handshake on both
#       servers (neither has a session cache), so (b) runs wrk with an
#       OpenSSL configuration of its own (TLS 1.2, no ticket), checked
#       against nginx's $ssl_session_reused; (b13) is the same over TLS
#       1.3, where wrk resumes (PSK with a fresh X25519 exchange),
#   (c) keep-alive GETs of the 100 KiB file (>= 0.9x),
# then (d) the memory (RSS and PSS, all processes) of each with 1,000 idle
# TLS connections, each with its handshake done and one request answered
# (target: webd not above nginx). Writes its section of bench/RESULTS.md.
# Same worker count as webd-static.sh: nginx `worker_processes auto`,
# webd's default `threads` (both one per CPU); both negotiate the same
# protocol, suite and group with wrk (printed and written down).
# Beside req/s, each round records the CPU time (user + system, from
# /proc) that the server (all its processes and threads) and wrk spent per
# request: on a shared 2-core machine req/s swings with whatever else
# runs, CPU per request much less. Rounds are short and many, the order
# alternating; the tables give medians and every round.
# usage: bench/webd-tls.sh [O]   Env: ROUNDS (7), DURATION (3s),
# RESULTS (the file to update, bench/RESULTS.md). Other benchmarks and
# heavy jobs spoil the figures: run it as
# `flock /tmp/foobar-bench.lock make bench B=webd-tls`.
ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-3s}
. "$(dirname "$0")/lib/common.sh"
WEBD=$BIN/foobar-webd
[ -x "$WEBD" ] || { echo "no $WEBD; run make first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing" >&2; exit 1; }

bench_init webd-tls-bench
wport=$(freeport)
wtport=$(freeport)
ntport=$(freeport)
ncport=$(freeport)
mkdir -p "$tmp/root" "$tmp/nginx"
head -c 1024 /dev/urandom >"$tmp/root/1k.bin"
head -c 102400 /dev/urandom >"$tmp/root/100k.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 -subj /CN=bench \
    -addext subjectAltName=IP:127.0.0.1 2>"$tmp/openssl.log" || {
	cat "$tmp/openssl.log" >&2
	exit 1
}
printf 'wrk.headers["Connection"] = "close"\n' >"$tmp/close.lua"
cp "$tmp/close.lua" "$tmp/full.lua"
# wrk's OpenSSL for (b): TLS 1.2 and no session ticket (this replaces
# Debian's /etc/ssl/openssl.cnf for wrk only)
cat >"$tmp/full.cnf" <<CNF
openssl_conf = conf
[conf]
ssl_conf = ssl
[ssl]
system_default = sys
[sys]
MinProtocol = TLSv1.2
MaxProtocol = TLSv1.2
Options = -SessionTicket
CNF

webd_conf <<CONF
listen_tls = 127.0.0.1:$wtport
[tls]
certificate = $tmp/cert.pem
key = $tmp/key.pem
CONF
# nginx's defaults otherwise: session tickets on, no session cache (as
# webd: tickets, no cache); TLS 1.2 and 1.3 suites in webd's order, the
# server's choice, so that both pick AES-128-GCM. The second server (same
# processes) logs whether wrk's connections were resumed.
nginx_conf <<CONF
	open_file_cache max=1000;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	default_type application/octet-stream;
	ssl_certificate $tmp/cert.pem;
	ssl_certificate_key $tmp/key.pem;
	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_prefer_server_ciphers on;
	ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305;
	ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256;
	log_format tls '\$ssl_session_reused \$ssl_protocol \$ssl_cipher \$ssl_curve';
	server {
		listen 127.0.0.1:$ntport ssl;
		root $tmp/root;
	}
	server {
		listen 127.0.0.1:$ncport ssl;
		root $tmp/root;
		access_log $tmp/nginx/check.log tls;
	}
CONF

start_webd
start_nginx
export CURL_CA_BUNDLE="$tmp/cert.pem"
wait_urls 50 "https://127.0.0.1:$wtport/1k.bin" \
    "https://127.0.0.1:$ntport/1k.bin" "https://127.0.0.1:$ncport/1k.bin" || {
	echo "the servers did not come up" >&2
	cat "$tmp/webd.log" "$tmp/nginx.log" >&2
	exit 1
}

# What wrk's OpenSSL negotiates with each: protocol, suite, group.
negotiated() {
	for _s in "webd $wtport" "nginx $ntport"; do
		set -- $_s
		echo | openssl s_client -connect "127.0.0.1:$2" -brief 2>&1 |
		    awk -v s="$1" '/^Protocol version|^Ciphersuite|^Server Temp Key/ {
		    sub(/^[^:]*: */, ""); v = v (v ? ", " : "") $0 }
		    END { print s ": " v }'
	done
}
# resumed TEST: wrk with Connection: close against nginx's logging
# server for a second; "N requests, M resumed" (nginx logs "r" for those)
resumed() {
	: >"$tmp/nginx/check.log"
	wrk -t2 -c8 -d1s -s "$tmp/close.lua" \
	    "https://127.0.0.1:$ncport/1k.bin" >/dev/null 2>&1
	echo "$(wc -l <"$tmp/nginx/check.log") requests," \
	    "$(awk '$1 == "r"' "$tmp/nginx/check.log" | wc -l) resumed"
}
negotiated | sed 's/^/(a, c, d, b13) /' | tee "$tmp/negotiated"
echo "(b13) wrk over TLS 1.3 against nginx: $(resumed)" | tee -a "$tmp/negotiated"
export OPENSSL_CONF="$tmp/full.cnf"
negotiated | sed 's/^/(b) /' | tee -a "$tmp/negotiated"
r=$(resumed)
echo "(b) wrk over TLS 1.2 without tickets against nginx: $r" |
    tee -a "$tmp/negotiated"
set -- $r
[ "$1" -gt 0 ] && [ "$3" = 0 ] || {
	echo "(b) would not measure full handshakes" >&2
	exit 1
}
# run_rounds' ports: the https ones
SCHEME=https wport=$wtport nport=$ntport
run_rounds 12 1k.bin#full
unset OPENSSL_CONF
run_rounds 12 1k.bin 1k.bin#close 100k.bin
idle_mem nginx "$ntport" "$npid" tlsidle
idle_mem webd "$wtport" "$wpid" tlsidle

table=$tmp/table
# ratios COLUMN TEST: webd/nginx of COLUMN of $tmp/results, round by round
ratios() {
	awk -v c="$1" -v f="$2" '$2 == f && $1 == "nginx" { n[++i] = $c }
	    $2 == f && $1 == "webd" { w[++j] = $c }
	    END { for (k = 1; k <= i; k++) printf "%s%.2f",
	    (k > 1 ? ", " : ""), (n[k] > 0 ? w[k] / n[k] : 0) }' "$tmp/results"
}
# ratio A B: A/B with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
what() {
	case $1 in
	1k.bin) echo "(a) 1 KiB, keep-alive" ;;
	*full) echo "(b) 1 KiB, new connection each, full TLS 1.2 handshake" ;;
	*close) echo "(b13) 1 KiB, new connection each, TLS 1.3 resumed" ;;
	*) echo "(c) 100 KiB, keep-alive" ;;
	esac
}
tests="1k.bin 1k.bin#full 1k.bin#close 100k.bin"
{
	echo "| test | nginx req/s | webd req/s | webd/nginx | per round | nginx p99 ms | webd p99 ms | target |"
	echo "|---|---|---|---|---|---|---|---|"
	for f in $tests; do
		nr=$(m nginx $f 3) wr=$(m webd $f 3)
		np=$(m nginx $f 4) wp=$(m webd $f 4)
		case $f in
		1k.bin) target=1.0 ;; *full) target=0.8 ;; *close) target=- ;;
		*) target=0.9 ;;
		esac
		[ "$target" = - ] || target=">= ${target}x"
		echo "| $(what $f) | $nr | $wr | $(ratio "$wr" "$nr")x | $(ratios 3 $f) | $np | $wp | $target |"
	done
	echo
	echo "CPU time per request, user + system, in microseconds (the server:"
	echo "all its processes and threads; wrk: the client). Lower is better:"
	echo "a webd/nginx ratio of the server's CPU below 1.0 means webd does the"
	echo "same work with less CPU."
	echo
	echo "| test | nginx us/req | webd us/req | webd/nginx | per round | wrk us/req against nginx | against webd |"
	echo "|---|---|---|---|---|---|---|"
	for f in $tests; do
		nc=$(m nginx $f 5) wc=$(m webd $f 5)
		nw=$(m nginx $f 6) ww=$(m webd $f 6)
		echo "| $(what $f) | $nc | $wc | $(ratio "$wc" "$nc")x | $(ratios 5 $f) | $nw | $ww |"
	done
	echo
	echo "| (d) memory, kB, all processes | RSS idle | RSS with 1,000 idle TLS connections | PSS idle | PSS with 1,000 |"
	echo "|---|---|---|---|---|"
	awk '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' \
	    "$tmp/mem"
	echo
	echo "Negotiated with wrk's OpenSSL, and resumptions:"
	echo
	sed 's/^/    /' "$tmp/negotiated"
} >"$table"
cat "$table"

write_results webd-tls <<'INTRO'
## webd: HTTPS (bench/webd-tls.sh)

{date} UTC; {cpus} CPUs ({cpu}), kernel {kernel}; {nginx} (OpenSSL)
against webd (libmicrohttpd 0.9.75, GnuTLS), the same ECDSA P-256
certificate and key, the same files. nginx: `worker_processes auto`,
`open_file_cache`, `access_log off`, session tickets on and no session
cache (its defaults), TLS 1.3 suites in webd's order with the server's
choice; webd: `access_log = off`, `cache_valid = 60s` (as
open_file_cache's default validity) and its defaults (one thread per CPU,
memory cache, session tickets). `wrk -t2 -c64 -d{duration} --latency`
over https on 127.0.0.1, {rounds} rounds with the order alternating;
medians, and the ratio of each round. Each round also records the CPU
time (user + system, from /proc) of the server, all its processes and
threads, and of wrk, per request: that is the steadier figure, as req/s
follows whatever else the machine runs. (b) sends `Connection: close`
over TLS 1.2 without tickets: every request a new TCP connection and a
full handshake (checked against nginx's `$ssl_session_reused` each
run); (b13) the same over TLS 1.3, where wrk resumes. (d):
`tests/webd/raw.py tlsidle`, 1,000 connections, each handshaken with
one request answered, then idle; RSS summed over the server's processes
(nginx: master and workers), PSS from `smaps_rollup`. wrk, the servers
and the other engineers' jobs share the same 2 cores (benchmarks take
`/tmp/foobar-bench.lock` in turn; test suites do not), so req/s is
noisy.
INTRO
