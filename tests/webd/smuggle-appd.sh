#!/bin/sh
# tests/webd/smuggle-appd.sh - a request hidden in a body never reaches
# foobar-appd: every case of tests/webd/smuggle.py goes to foobar-webd in
# front of appd, whose CGI script records each request it runs. appd must
# have run exactly the requests webd answered, none of them hidden.
. "$(dirname "$0")/../appd/lib.sh"

REC=$T/seen
cat >"$T/cgi/rec.sh" <<E
#!/bin/sh
body=\$(head -c "\${CONTENT_LENGTH:-0}" | od -An -tx1 | tr -d ' \n')
printf '%s %s %s\n' "\$REQUEST_METHOD" "\$REQUEST_URI" "\$body" >>"$REC"
printf 'Content-Type: text/plain\r\n\r\nrecorded\n'
E
chmod 755 "$T/cgi/rec.sh"
: >"$REC"
appd_conf workers=2
appd_start 2 || exit 1
. "$SRCDIR/tests/appd/http.sh"
cat >"$T/webd.conf" <<E
[server]
listen = 127.0.0.1:$PORT
root = $SRCDIR/webd/www
access_log = off
max_body = 1k
keepalive_timeout = 1s
[location /cgi-bin/]
fastcgi_pass = unix:$SOCK
E
front_start "$T/webd.log" / "$BIN/foobar-webd" -c "$T/webd.conf"

http GET /cgi-bin/rec.sh/probe
check "the recording CGI script runs under appd" eval \
    'expect 200 && grep -q "^GET /cgi-bin/rec.sh/probe" "$REC"'
: >"$REC"
answered=$($PY "$SRCDIR/tests/webd/smuggle.py" one "$PORT" /cgi-bin/rec.sh)
sleep 1
ran=$(wc -l <"$REC")
echo "webd answered $answered requests, appd ran $ran"
check "appd ran every request webd answered, and no other" \
    [ "$answered" -gt 0 -a "$ran" -eq "$answered" ]
check "no request hidden in a body reached appd" \
    eval '! grep -q /smuggled "$REC"'
finish
