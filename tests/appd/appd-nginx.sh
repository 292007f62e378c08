#!/bin/sh
# tests/appd/appd-nginx.sh - Debian's nginx in front of foobar-appd
# (fastcgi_pass unix:, keepalive upstream, fastcgi_keep_conn on): the
# guestbook API end to end with bad input, the Perl CGI, 200 concurrent
# POSTs stored exactly once, SIGHUP under load with zero failed requests
# (new module generation takes over), FCGI_OVERLOADED -> 503.
. "$(dirname "$0")/lib.sh"

db_setup
cp "$SRCDIR/appd/cgi-bin/hello.pl" "$T/cgi/"
cat >"$T/cgi/slow.sh" <<'S'
#!/bin/sh
sleep 2
printf 'Content-Type: text/plain\r\n\r\nslow done\n'
S
chmod 755 "$T/cgi/slow.sh"
appd_conf workers=3
appd_start 3 || exit 1

. "$(dirname "$0")/http.sh"
nginx_start "$PORT" 20m \
    "# no retry on another connection: a failure must show" \
    "fastcgi_next_upstream off;"

http GET /api/health
check "health via nginx" eval 'expect 200 && grep -q "\"schema\":1" "$OUT"'
http POST /api/messages application/json '{"name":"Nina","text":"via nginx ✓"}'
check "POST JSON 201 + Location" eval 'expect 201 &&
    grep -qi "^Location: /api/messages/1" "$T/head" &&
    grep -q "via nginx ✓" "$OUT"'
http POST /api/messages application/x-www-form-urlencoded 'name=F&text=form+post'
check "POST form 201" expect 201
http GET "/api/messages?limit=1"
check "GET newest first" eval 'expect 200 && grep -q "form post" "$OUT"'
http DELETE /api/messages
check "DELETE 405 + Allow" eval 'expect 405 &&
    grep -qi "^Allow: GET, HEAD, POST" "$T/head"'
http HEAD /api/health
check "HEAD health" expect 200
bad_posts "bad input" '400|application/json|{"name":"a",' \
    '400|application/json|"just a string"' \
    '422|application/json|{"name":"","text":"x"}' \
    '422|application/json|{"name":"x","text":"   "}' \
    '422|application/x-www-form-urlencoded|name=%FF&text=x' \
    '400|application/x-www-form-urlencoded|name=%ZZ&text=x' \
    '415|text/plain|hello'
http GET "/api/messages?limit=500"
check "limit 500 -> 400" expect 400
http GET "/cgi-bin/hello.pl?via=nginx"
check "Perl CGI via nginx" eval 'expect 200 && grep -q "query: via=nginx" "$OUT"'

# --- 200 concurrent POSTs, stored exactly once
mariadb_sql 'DELETE FROM gb.messages'
seq 1 200 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    -H 'Content-Type: application/json' \
    --data-binary '{"name":"load","text":"message {}"}' \
    "$URL/api/messages" >"$T/codes"
check "200 concurrent POSTs all 201" eval \
    '[ "$(grep -c "^201$" "$T/codes")" = 200 ]'
check "stored exactly once each" eval '[ "$(mariadb_sql "SELECT COUNT(*),
    COUNT(DISTINCT text) FROM gb.messages" | tr "\t" " ")" = "200 200" ]'
http GET "/api/messages?limit=100"
check "API lists 100 of them" eval 'expect 200 && [ "$($PY -c "import json,sys
print(len(json.load(open(sys.argv[1]))))" "$OUT")" = 100 ]'

# --- SIGHUP under load: zero failed requests, new workers take over
cat >"$T/load.py" <<'P'
import http.client, json, sys, time
port, secs, tag = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
end = time.time() + secs
ok = bad = 0
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
n = 0
while time.time() < end:
    n += 1
    try:
        if n % 3 == 0:
            body = json.dumps({"name": tag, "text": "hup %d" % n})
            c.request("POST", "/api/messages", body,
                      {"Content-Type": "application/json"})
            want = 201
        else:
            c.request("GET", "/api/health" if n % 3 == 1 else
                      "/api/messages?limit=5")
            want = 200
        r = c.getresponse()
        r.read()
        if r.status == want:
            ok += 1
        else:
            bad += 1
            print("bad status", r.status, file=sys.stderr)
    except Exception as e:
        bad += 1
        print("error", e, file=sys.stderr)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
print(ok, bad)
P
before=$(worker_pids)
for k in 1 2 3; do
	$PY "$T/load.py" "$PORT" 6 "l$k" >"$T/load$k.out" 2>"$T/load$k.err" &
	BGPIDS="$BGPIDS $!"
	eval "lp$k=\$!"
done
sleep 1
for h in 1 2 3; do
	kill -HUP "$APPD_PID"
	sleep 1.2
done
wait $lp1 $lp2 $lp3
cat "$T"/load?.out "$T"/load?.err
total_bad=$(cat "$T"/load?.out | awk '{ b += $2 } END { print b + 0 }')
total_ok=$(cat "$T"/load?.out | awk '{ o += $1 } END { print o + 0 }')
check "SIGHUP under load: $total_ok ok, $total_bad failed" eval \
    '[ "$total_bad" = 0 ] && [ "$total_ok" -gt 100 ]'
check "no upstream error in nginx's log" eval \
    '! grep "upstream" "$T/nginx/error.log"'
appd_wait_workers 3
after=$(worker_pids)
check "new generation of workers ($before -> $after)" eval \
    '[ -z "$(echo " $before " | tr " " "\n" | grep -x -F "$(echo "$after" |
    tr " " "\n" | grep .)")" ]'
check "reload logged 3 times" eval '[ "$(grep -c "reload done" "$T/appd.log")" = 3 ]'
check "POSTs during reload stored once" eval '[ "$(mariadb_sql "SELECT
    COUNT(*) = COUNT(DISTINCT name, text) FROM gb.messages")" = 1 ]'

# --- a bad config on SIGHUP is refused, the old one keeps serving
cp "$T/appd.conf" "$T/appd.conf.good"
echo "bogus = 1" >>"$T/appd.conf"
kill -HUP "$APPD_PID"
sleep 0.5
http GET /api/health
check "bad config refused, still serving" eval 'expect 200 &&
    grep -q "reload refused" "$T/appd.log"'
cp "$T/appd.conf.good" "$T/appd.conf"

# --- max_requests replacement under load: no failure either
appd_stop
appd_conf workers=3 max_requests=25
appd_start 3 || exit 1
for k in 4 5; do
	$PY "$T/load.py" "$PORT" 4 "m$k" >"$T/load$k.out" 2>"$T/load$k.err" &
	BGPIDS="$BGPIDS $!"
	eval "lp$k=\$!"
done
wait $lp4 $lp5
cat "$T/load4.out" "$T/load5.out" "$T/load4.err" "$T/load5.err"
total_bad=$(cat "$T/load4.out" "$T/load5.out" | awk '{ b += $2 } END { print b + 0 }')
total_ok=$(cat "$T/load4.out" "$T/load5.out" | awk '{ o += $1 } END { print o + 0 }')
check "max_requests=25 under load: $total_ok ok, $total_bad failed" eval \
    '[ "$total_bad" = 0 ] && [ "$total_ok" -gt 100 ]'
check "no upstream error in nginx's log" eval \
    '! grep "upstream" "$T/nginx/error.log"'

# --- kill -9 of the worker running a request: nginx answers 502, the
# next requests succeed
curl -s -o /dev/null -w '%{http_code}' "$URL/cgi-bin/slow.sh" >"$T/k.code" &
cpid=$!
i=0
busy=""
while [ -z "$busy" ] && [ $i -lt 50 ]; do
	for p in $(worker_pids); do
		pgrep -P "$p" >/dev/null && busy=$p
	done
	[ -n "$busy" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$busy" ] && kill -9 "$busy"
wait $cpid
check "kill -9 mid-request: nginx 502" [ "$(cat "$T/k.code")" = 502 ]
ok=0
for i in $(seq 1 20); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/health")" = 200 ] &&
	    ok=$((ok + 1))
done
check "next 20 requests succeed ($ok)" [ $ok = 20 ]
check "worker count recovers" appd_wait_workers 3

# --- overloaded: nginx answers 503
appd_stop
CGI_TIMEOUT=30 appd_conf workers=1 queue_timeout=200ms
appd_start 1 || exit 1
curl -s "$URL/cgi-bin/slow.sh" >"$T/slow.out" &
cpid=$!
sleep 0.5
http GET /api/health
check "all busy -> nginx 503" expect 503
wait $cpid
check "slow request done" grep -q "slow done" "$T/slow.out"
finish
