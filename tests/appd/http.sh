# tests/appd/http.sh - for the appd tests that go through an HTTP front
# (nginx, webd); sourced after lib.sh. Gives PORT (free on 127.0.0.1),
# URL, front_start, http and expect.
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
OUT=$T/out

# front_start LOG PATH COMMAND...: runs the front (stopped at exit, output
# in LOG) and waits until PATH answers (5 s at most).
front_start() {
	_log=$1
	_path=$2
	shift 2
	"$@" >"$_log" 2>&1 &
	BGPIDS="$BGPIDS $!"
	_i=0
	until curl -s -o /dev/null "$URL$_path" || [ $_i -ge 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# http METHOD PATH [CONTENT_TYPE DATA]: status in $ST, head in $T/head,
# body in $OUT.
http() {
	if [ $# -gt 2 ]; then
		ST=$(curl -s -o "$OUT" -D "$T/head" -w '%{http_code}' -X "$1" \
		    -H "Content-Type: $3" --data-binary "$4" "$URL$2")
	else
		ST=$(curl -s -o "$OUT" -D "$T/head" -w '%{http_code}' -X "$1" \
		    "$URL$2")
	fi
}

# expect STATUS: whether the last answer had it (shows it when not).
expect() {
	[ "$ST" = "$1" ] || { echo "  got $ST, want $1:"; head -c 400 "$OUT";
	    echo; return 1; }
}

# bad_posts LABEL CASE...: POSTs each CASE ("STATUS|CONTENT_TYPE|BODY") to
# /api/messages and checks the status and the JSON error.
bad_posts() {
	_label=$1
	shift
	for _case; do
		_want=${_case%%|*}
		_rest=${_case#*|}
		http POST /api/messages "${_rest%%|*}" "${_rest#*|}"
		check "$_label $_want: $(echo "${_rest#*|}" | cut -c1-40)" \
		    eval 'expect $_want && grep -q "\"error\"" "$OUT"'
	done
}
