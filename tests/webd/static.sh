#!/bin/bash
# Integration test of foobar-webd as a static file server: starts the built
# program on 127.0.0.1 with a free port and a temporary root, and checks
# each behaviour with curl and raw sockets.
set -u
BIN=${BIN:-$(pwd)/build/bin}
SRCDIR=${SRCDIR:-$(pwd)}
RAW="python3 $SRCDIR/tests/webd/raw.py"
WEBD=$BIN/foobar-webd

tmp=$(mktemp -d /tmp/webd-test.XXXXXX)
pid=
pass=0
fail=0

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
not() { ! "$@"; }
# check NAME COMMAND...: passes when the command succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
root=$tmp/root
mkdir -p "$root/sub" "$root/noindex" "$tmp/outside"
echo "<h1>home</h1>" >"$root/index.html"
echo "sub index" >"$root/sub/index.html"
echo "body{}" >"$root/style.css"
echo "x=1" >"$root/app.js"
printf '\x89PNG\r\n' >"$root/pic.png"
echo "?" >"$root/file.unknownext"
echo "secret" >"$tmp/outside/secret.txt"
head -c 1024 /dev/urandom >"$root/1k.bin"
head -c 300000 /dev/urandom >"$root/big.bin"
head -c 1048576 /dev/urandom >"$root/huge.bin"
seq 1 2000 >"$root/text.txt"
gzip -9 -k "$root/text.txt"
ln -s /etc/passwd "$root/leak"
ln -s "$tmp/outside" "$root/outdir"
ln -s style.css "$root/inside-link.css"

cat >"$tmp/webd.conf" <<EOF
[server]
listen = 127.0.0.1:$port
root = $root
index = index.html
access_log = $tmp/access.log
max_body = 1k
header_timeout = 2s
keepalive_timeout = 5s
max_header_size = 8k
cache_max_file = 64k
drain_timeout = 10s
max_connections_per_ip = 1100
EOF

# -t
out=$("$WEBD" -t -c "$tmp/webd.conf" 2>&1)
check "-t accepts a good config" [ $? -eq 0 -a "$out" = "configuration OK" ]
printf '[server]\nroot = %s\nlistne = 1\n' "$root" >"$tmp/bad.conf"
out=$("$WEBD" -t -c "$tmp/bad.conf" 2>&1)
rc=$?
check "-t refuses a bad config with exit 78" [ $rc -eq 78 ]
check "-t names FILE:LINE" grep -q "^$tmp/bad.conf:3: unknown key" <<<"$out"
printf '[server]\nroot = %s/missing\n' "$tmp" >"$tmp/noroot.conf"
"$WEBD" -t -c "$tmp/noroot.conf" >/dev/null 2>&1
check "-t refuses a missing root" [ $? -eq 78 ]
printf '[server]\nroot = %s\nbody_temp_path = %s/missing\n' "$root" "$tmp" \
    >"$tmp/notemp.conf"
out=$("$WEBD" -t -c "$tmp/notemp.conf" 2>&1)
rc=$?
check "-t refuses a missing body_temp_path" eval \
    '[ $rc -eq 78 ] && grep -q "body_temp_path" <<<"$out"'

"$WEBD" -c "$tmp/webd.conf" 2>"$tmp/webd.log" &
pid=$!
for _ in $(seq 50); do
	curl -s -o /dev/null "$url/" && break
	sleep 0.1
done

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
hdr() { curl -s -D - -o /dev/null "$@" | tr -d '\r'; }

# basics
check "GET / serves the index" [ "$(curl -s "$url/")" = "<h1>home</h1>" ]
check "HEAD has no body" [ -z "$(curl -s -I "$url/index.html" -o /dev/null -w '%{size_download}' | tr -d 0)" ]
check "HEAD has Content-Length" grep -q '^Content-Length: 14$' <<<"$(curl -s -I "$url/index.html" | tr -d '\r')"
check "html type" grep -q '^Content-Type: text/html; charset=utf-8$' <<<"$(hdr "$url/")"
check "css type" grep -q '^Content-Type: text/css; charset=utf-8$' <<<"$(hdr "$url/style.css")"
check "js type" grep -q '^Content-Type: text/javascript; charset=utf-8$' <<<"$(hdr "$url/app.js")"
check "png type" grep -q '^Content-Type: image/png$' <<<"$(hdr "$url/pic.png")"
check "unknown type" grep -q '^Content-Type: application/octet-stream$' <<<"$(hdr "$url/file.unknownext")"
check "404 for a missing file" [ "$(code "$url/nothing.html")" = 404 ]
check "dir without slash: 301" [ "$(code "$url/sub")" = 301 ]
check "301 Location" grep -q '^Location: /sub/$' <<<"$(hdr "$url/sub")"
check "301 keeps the query" grep -q '^Location: /sub/?a=1$' <<<"$(hdr "$url/sub?a=1")"
check "dir with slash: index" [ "$(curl -s "$url/sub/")" = "sub index" ]
check "dir without index: 404, no listing" [ "$(code "$url/noindex/")" = 404 ]
check "file with a trailing slash: 404" [ "$(code "$url/style.css/")" = 404 ]
check "POST on a static path: 405" [ "$(code -X POST "$url/")" = 405 ]
check "405 has Allow" grep -q '^Allow: GET, HEAD$' <<<"$(hdr -X DELETE "$url/")"
check "big file via sendfile" cmp -s <(curl -s "$url/big.bin") "$root/big.bin"
check "query string ignored for files" [ "$(curl -s "$url/index.html?x=1")" = "<h1>home</h1>" ]

# traversal: never anything from outside the root
for p in '/../etc/passwd' '/%2e%2e/etc/passwd' '/%2E%2E/%2e%2e/etc/passwd' \
    '/sub/../../etc/passwd' '/sub/%2e%2e/%2e%2e/etc/passwd' \
    '/..%2fetc%2fpasswd' '/%2fetc%2fpasswd' '/sub%2f..%2f..%2fetc/passwd' \
    '/index.html%00.txt' '/..%5c..%5cetc%5cpasswd' '/..\..\etc\passwd' \
    '/%' '/%zz' '/leak' '/outdir/secret.txt' '/outdir/'; do
	c=$(curl -s --path-as-is -o "$tmp/body" -w '%{http_code}' "$url$p")
	case $c in
	400 | 403 | 404)
		if grep -q -e 'root:' -e secret "$tmp/body"; then
			bad "traversal $p leaked"
		else
			ok "traversal $p: $c"
		fi ;;
	*) bad "traversal $p: $c" ;;
	esac
done
out=$($RAW send "$port" 'GET /a\x00/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
check "raw NUL in the path refused" grep -q -e '^HTTP/1.1 400' -e '^HTTP/1.1 404' <<<"$out"
check "symlink inside the root is served" [ "$(curl -s "$url/inside-link.css")" = "body{}" ]

# validators and conditionals
h=$(hdr "$url/style.css")
etag=$(sed -n 's/^ETag: //p' <<<"$h")
lm=$(sed -n 's/^Last-Modified: //p' <<<"$h")
check "ETag present" [ -n "$etag" ]
check "Last-Modified present" [ -n "$lm" ]
check "If-None-Match: 304" [ "$(code -H "If-None-Match: $etag" "$url/style.css")" = 304 ]
check "304 has no body" [ "$(curl -s -H "If-None-Match: $etag" "$url/style.css" | wc -c)" = 0 ]
check "If-None-Match other: 200" [ "$(code -H 'If-None-Match: "x"' "$url/style.css")" = 200 ]
check "If-Modified-Since: 304" [ "$(code -H "If-Modified-Since: $lm" "$url/style.css")" = 304 ]
check "If-Modified-Since old: 200" [ "$(code -H 'If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT' "$url/style.css")" = 200 ]
check "If-Match other: 412" [ "$(code -H 'If-Match: "x"' "$url/style.css")" = 412 ]
check "If-Match same: 200" [ "$(code -H "If-Match: $etag" "$url/style.css")" = 200 ]
check "If-Unmodified-Since old: 412" [ "$(code -H 'If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT' "$url/style.css")" = 412 ]

# ranges, from the cache (1k.bin) and from a file descriptor (big.bin)
for f in 1k.bin big.bin; do
	size=$(stat -c %s "$root/$f")
	check "$f range 0-9: 206" [ "$(code -r 0-9 "$url/$f")" = 206 ]
	check "$f Content-Range" grep -q "^Content-Range: bytes 0-9/$size$" <<<"$(hdr -r 0-9 "$url/$f")"
	check "$f range body" cmp -s <(curl -s -r 0-9 "$url/$f") <(head -c 10 "$root/$f")
	check "$f suffix range" cmp -s <(curl -s -r -100 "$url/$f") <(tail -c 100 "$root/$f")
	check "$f open range" cmp -s <(curl -s -r 1000- "$url/$f") <(tail -c +1001 "$root/$f")
	check "$f unsatisfiable: 416" [ "$(code -r "$size-" "$url/$f")" = 416 ]
	check "$f 416 Content-Range" grep -q "^Content-Range: bytes \*/$size$" <<<"$(hdr -r "$size-" "$url/$f")"
	et=$(sed -n 's/^ETag: //p' <<<"$(hdr "$url/$f")")
	check "$f If-Range same: 206" [ "$(code -r 0-9 -H "If-Range: $et" "$url/$f")" = 206 ]
	check "$f If-Range other: 200" [ "$(code -r 0-9 -H 'If-Range: "old"' "$url/$f")" = 200 ]
	check "$f multi-range: 200" [ "$(code -r 0-1,5-6 "$url/$f")" = 200 ]
done

# precompressed
h=$(hdr -H 'Accept-Encoding: gzip' "$url/text.txt")
check "gzip variant: Content-Encoding" grep -q '^Content-Encoding: gzip$' <<<"$h"
check "gzip variant: Vary" grep -q '^Vary: Accept-Encoding$' <<<"$h"
check "gzip variant: type of the original" grep -q '^Content-Type: text/plain; charset=utf-8$' <<<"$h"
check "gzip variant: content" cmp -s <(curl -s --compressed "$url/text.txt") "$root/text.txt"
h=$(hdr "$url/text.txt")
check "no gzip: plain" [ "$(curl -s "$url/text.txt" | md5sum)" = "$(md5sum <"$root/text.txt")" ]
check "no gzip: no Content-Encoding" not grep -q '^Content-Encoding' <<<"$h"

# keep-alive and pipelining
out=$(curl -sv "$url/style.css" "$url/app.js" -o /dev/null -o /dev/null 2>&1)
check "keep-alive reuses the connection" grep -q 'Re-using existing connection' <<<"$out"
out=$($RAW send "$port" 'GET /style.css HTTP/1.1\r\nHost: x\r\n\r\nGET /app.js HTTP/1.1\r\nHost: x\r\n\r\nGET /sub/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' 2)
check "pipelining: three answers" [ "$(grep -c '^HTTP/1.1 200' <<<"$out")" = 3 ]
check "pipelining: in order" [ "$(grep -e '^body{}' -e '^x=1' -e '^sub index' <<<"$out" | tr '\n' ' ')" = "body{} x=1 sub index " ]

# limits
big=$(head -c 12000 /dev/zero | tr '\0' a)
out=$($RAW send "$port" "GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Big: $big\\r\\n\\r\\n")
check "header over max_header_size: 431" grep -q '^HTTP/1.1 431' <<<"$out"
small=$(head -c 4000 /dev/zero | tr '\0' a)
out=$($RAW send "$port" "GET / HTTP/1.1\\r\\nHost: x\\r\\nX-Small: $small\\r\\nConnection: close\\r\\n\\r\\n")
check "header under max_header_size: 200" grep -q '^HTTP/1.1 200' <<<"$out"
head -c 2000 /dev/zero >"$tmp/2k"
check "body over max_body (Content-Length): 413" [ "$(code --data-binary @"$tmp/2k" "$url/")" = 413 ]
chunk=$(head -c 600 /dev/zero | tr '\0' x)
out=$($RAW send "$port" "POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n258\\r\\n$chunk\\r\\n258\\r\\n$chunk\\r\\n0\\r\\n\\r\\n")
check "body over max_body (chunked): 413" grep -q '^HTTP/1.1 413' <<<"$out"
out=$($RAW send "$port" "POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n10\\r\\n0123456789abcdef\\r\\n0\\r\\n\\r\\n")
check "small chunked body on a static path: 405" grep -q '^HTTP/1.1 405' <<<"$out"
out=$($RAW send "$port" "POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: gzip\\r\\n\\r\\n")
check "unknown Transfer-Encoding: 501" grep -q '^HTTP/1.1 501' <<<"$out"

# slowloris: dropped within the header deadline while others are served
$RAW slowloris "$port" 8 >"$tmp/slow" &
slow=$!
sleep 1
served=0
for _ in 1 2 3; do
	[ "$(code "$url/style.css")" = 200 ] && served=$((served + 1))
	sleep 0.3
done
wait $slow
t=$(cat "$tmp/slow")
check "others served during slowloris" [ $served -eq 3 ]
check "slowloris dropped within the header deadline ($t s)" \
    awk -v t="$t" 'BEGIN { exit !(t != "open" && t <= 3.5) }'

# the cache sees every change on disk
echo "version 1" >"$root/change.txt"
curl -s "$url/change.txt" >/dev/null
curl -s "$url/change.txt" >/dev/null
echo "version 2" >"$root/change.txt"
check "changed file (same size) served new" [ "$(curl -s "$url/change.txt")" = "version 2" ]
echo "version 3, longer" >"$tmp/new.txt"
mv "$tmp/new.txt" "$root/change.txt"
check "replaced file served new" [ "$(curl -s "$url/change.txt")" = "version 3, longer" ]
rm "$root/change.txt"
check "deleted file: 404" [ "$(code "$url/change.txt")" = 404 ]

# access log
check "access log in combined format" grep -Eq '^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] "GET /style\.css HTTP/1\.1" 200 7 "-" "curl/[^"]*" http$' "$tmp/access.log"

# connection caps: above libmicrohttpd's default of 1,020, and per address
check "1,050 connections at once all answered" [ "$($RAW count "$port" 1050)" = 1050 ]
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[server]\nlisten = 127.0.0.1:%s\nroot = %s\naccess_log = off\nmax_connections_per_ip = 20\n' \
    "$port2" "$root" >"$tmp/perip.conf"
# start_more PORT CONF: another webd, once it answers on PORT; its PID in
# $more
start_more() {
	"$WEBD" -c "$2" 2>>"$tmp/webd.log" &
	more=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$1/" && break
		sleep 0.1
	done
}
start_more "$port2" "$tmp/perip.conf"
pid2=$more
sleep 0.3
check "per-address cap: 20 of 30 answered" [ "$($RAW count "$port2" 30)" = 20 ]
kill "$pid2"
wait "$pid2"

# cache_valid (nginx's open_file_cache_valid): a cached file found
# unchanged is trusted that long without a look at the disk, then seen new
printf '[server]\nlisten = 127.0.0.1:%s\nroot = %s\naccess_log = off\ncache_valid = 2s\n' \
    "$port2" "$root" >"$tmp/valid.conf"
start_more "$port2" "$tmp/valid.conf"
pid2=$more
u2="http://127.0.0.1:$port2"
echo "version 1" >"$root/valid.txt"
curl -s "$u2/valid.txt" >/dev/null
t0=$(date +%s.%N)
echo "version 2" >"$root/valid.txt"
v=$(curl -s "$u2/valid.txt")
t1=$(date +%s.%N)
# (only when the second request came within the 2 s)
if awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 1.5) }'; then
	check "cache_valid: a change within it is not looked for" [ "$v" = "version 1" ]
fi
sleep 2.1
check "cache_valid: after it the change is served" [ "$(curl -s "$u2/valid.txt")" = "version 2" ]
check "cache_valid: a gzip client gets the file too" [ "$(curl -s -H 'Accept-Encoding: gzip' "$u2/valid.txt")" = "version 2" ]
rm "$root/valid.txt"
sleep 2.1
check "cache_valid: a deleted file is 404 after it" [ "$(code "$u2/valid.txt")" = 404 ]
kill "$pid2"
wait "$pid2"

# several listen addresses: IPv6, IPv4 and a Unix socket
port3=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); print(s.getsockname()[1])' 2>/dev/null)
if [ -n "$port3" ]; then
	printf '[server]\nlisten = [::1]:%s\nlisten = 127.0.0.1:%s\nlisten = unix:%s/w.sock\nroot = %s\naccess_log = off\n' \
	    "$port3" "$port3" "$tmp" "$root" >"$tmp/multi.conf"
	start_more "$port3" "$tmp/multi.conf"
	pid3=$more
	check "listen [::1]" [ "$(curl -s -g "http://[::1]:$port3/style.css")" = "body{}" ]
	check "listen 127.0.0.1 beside it" [ "$(curl -s "http://127.0.0.1:$port3/style.css")" = "body{}" ]
	check "listen unix:" [ "$(curl -s --unix-socket "$tmp/w.sock" http://x/style.css)" = "body{}" ]
	kill "$pid3"
	wait "$pid3"
else
	bad "no IPv6 loopback to test [::1]"
fi

# SIGHUP: a good config takes over without failed requests
for _ in $(seq 200); do code "$url/style.css"; echo; done >"$tmp/codes" &
loop=$!
echo "<h1>new home</h1>" >"$root/other.html"
sed -i 's/^index = .*/index = other.html/' "$tmp/webd.conf"
sleep 0.2
kill -HUP "$pid"
for _ in $(seq 50); do
	[ "$(curl -s "$url/")" = "<h1>new home</h1>" ] && break
	sleep 0.1
done
check "SIGHUP: new config serves" [ "$(curl -s "$url/")" = "<h1>new home</h1>" ]
wait $loop
check "SIGHUP: no failed request" [ "$(sort -u "$tmp/codes")" = 200 ]
# a bad config is refused and the old one keeps serving
cp "$tmp/webd.conf" "$tmp/good.conf"
echo "listne = 1" >>"$tmp/webd.conf"
kill -HUP "$pid"
sleep 0.5
check "SIGHUP with a bad config: still serving" [ "$(curl -s "$url/")" = "<h1>new home</h1>" ]
check "SIGHUP with a bad config: refusal logged" grep -q 'reload refused.*unknown key "listne"' "$tmp/webd.log"
check "still running" kill -0 "$pid"
cp "$tmp/good.conf" "$tmp/webd.conf"

# SIGTERM: the request in flight finishes, then the process exits
curl -s --limit-rate 400k -o "$tmp/huge.out" "$url/huge.bin" &
dl=$!
sleep 0.5
kill -TERM "$pid"
wait $dl
check "SIGTERM: request in flight completed" cmp -s "$tmp/huge.out" "$root/huge.bin"
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
	bad "SIGTERM: exited"
else
	wait "$pid"
	check "SIGTERM: exit status 0" [ $? -eq 0 ]
	pid=
fi
check "SIGTERM: refuses new connections" [ "$(code --max-time 2 "$url/")" = 000 ]

echo "webd static: $pass passed, $fail failed"
[ $fail -eq 0 ]
