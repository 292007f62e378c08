# tests/appd/http.sh - for the appd tests that go through an HTTP front
# (nginx, webd); sourced after lib.sh. Gives PORT (free on 127.0.0.1),
# URL, front_start, nginx_start, http and expect.
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

# nginx_start PORT MAX_BODY [LINE...]: Debian's nginx on 127.0.0.1:PORT in
# front of appd ($SOCK; keepalive upstream, fastcgi_keep_conn on), files in
# $T/nginx, client_max_body_size MAX_BODY; the LINEs go into its location.
nginx_start() {
	_port=$1
	_max=$2
	shift 2
	mkdir -p "$T/nginx"
	_user=""
	[ "$(id -u)" = 0 ] && _user="user root;"
	{
		cat <<E
$_user
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	fastcgi_temp_path $T/nginx/fastcgi;
	proxy_temp_path $T/nginx/proxy;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	client_max_body_size $_max;
	upstream appd {
		server unix:$SOCK;
		keepalive 16;
	}
	server {
		listen 127.0.0.1:$_port;
		location / {
			include /etc/nginx/fastcgi_params;
			fastcgi_param HTTP_PROXY "";
			fastcgi_pass appd;
			fastcgi_keep_conn on;
E
		for _l; do
			printf '\t\t\t%s\n' "$_l"
		done
		printf '\t\t}\n\t}\n}\n'
	} >"$T/nginx/nginx.conf"
	_url=$URL
	URL=http://127.0.0.1:$_port
	front_start "$T/nginx/out.log" /api/health \
	    nginx -c "$T/nginx/nginx.conf" -p "$T/nginx"
	URL=$_url
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
