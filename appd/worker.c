/* worker.c - a worker process: accepts connections on the shared listen
 * socket, keeps several FastCGI connections open (fronts keep them
 * alive) and runs one request at a time from whichever is ready, so an
 * idle kept connection never blocks other requests. */
#include "appd.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "db.h"
#include "fcgi.h"
#include "log.h"

#define CONN_BUF 65536
#define PARAMS_MAX (1 << 20)
#define IO_TIMEOUT_MS 30000

struct conn {
	int fd;
	struct fcgi_parser p;
	unsigned char buf[CONN_BUF];
	size_t len, off;	/* unconsumed bytes are buf[off, len) */
	int64_t last_ms;
	int eof;
	int gone;		/* handed over during a request; fd closed */
	/* the request being received */
	int have_begin;
	unsigned id;
	int keep;
	unsigned char *params;
	size_t plen, pcap;
	int params_done;
	int64_t body_wait;	/* params done, body not all here since */
	unsigned char mgmt[FCGI_MAX_CONTENT];
	size_t mlen;
};

struct foobar_req {
	struct conn *c;
	char **names, **values;
	size_t n;
	const char *method, *query;
	char *path;
	long long content_length;
	int bad_length;		/* CONTENT_LENGTH is not a number: 400 */
	int stdin_done;
	int aborted;
	const unsigned char *pend;	/* STDIN data not yet returned */
	size_t pendlen;
	/* response */
	int status;
	char *hdrs;
	size_t hlen, hcap;
	int head_sent;
	int failed;
	/* one STDOUT record, then room for the end of the response */
	unsigned char rec[FCGI_HEADER_LEN + FCGI_STREAM_CHUNK + 8 +
	    FCGI_HEADER_LEN + FCGI_END_REQUEST_LEN];
	size_t outlen;		/* content bytes in rec */
};

struct worker {
	const struct appd_conf *conf;
	struct appd_board *board;
	struct appd_slot *slot;
	int listen_fd;
	int chan_fd;
	struct conn *conns[APPD_MAX_CONNS];
	unsigned nconns;
	const struct foobar_app *app;
	void *app_ctx;
	struct db *db;
	int64_t db_retry_ms;
	unsigned db_failures;
	uint64_t served;
};

static struct worker W;
static volatile sig_atomic_t worker_stop;

static void
worker_on_term(int sig)
{
	worker_stop = 1;
}

static void
worker_set_state(int state)
{
	__atomic_store_n(&W.slot->state, state, __ATOMIC_RELEASE);
}

static int
worker_draining(void)
{
	return worker_stop || __atomic_load_n(&W.slot->retire,
	    __ATOMIC_ACQUIRE) || (W.conf->max_requests > 0 &&
	    W.served >= (uint64_t)W.conf->max_requests);
}

/* --- database ------------------------------------------------------ */

/* Connects, or sets when to try again. A server that refuses at once
 * (restarting: its socket is gone or nobody listens) costs nothing to
 * try, so the next request tries again after 100 ms and a restarted
 * server is seen at once by every worker; an attempt that took long (a
 * host that does not answer) or a refusal by the server itself (access
 * denied, no such database) backs off from 0.5 to 5 s, so that requests
 * keep failing fast and the server's log is not flooded. */
static void
worker_db_connect(void)
{
	struct db_opts o = { 0 };
	char err[256];
	int64_t delay, t0 = appd_now_ms();
	enum db_fail why = DB_FAIL_OTHER;

	o.option_file = W.conf->db_option_file;
	o.group = W.conf->db_group;
	o.connect_timeout = (unsigned)((W.conf->db_connect_timeout + 999) /
	    1000);
	o.read_timeout = 10;
	o.write_timeout = 10;
	W.db = db_open(&o, err, sizeof(err), &why);
	__atomic_store_n(&W.slot->db_up, W.db != NULL, __ATOMIC_RELAXED);
	if (W.db != NULL) {
		if (W.db_failures > 0) {
			log_info("database connection restored");
			appd_metrics_add(&W.slot->m.db_reconnects, 1);
		}
		W.db_failures = 0;
		return;
	}
	appd_metrics_add(&W.slot->m.db_connect_errors, 1);
	if (W.db_failures == 0)
		log_warn("database: %s", err);
	W.db_failures++;
	if (why == DB_FAIL_SERVER && appd_now_ms() - t0 < 100) {
		W.db_retry_ms = appd_now_ms() + 100;
		return;
	}
	delay = 250LL << (W.db_failures < 5 ? W.db_failures : 5);
	if (delay > 5000)
		delay = 5000;
	W.db_retry_ms = appd_now_ms() + delay;
}

struct st_mysql *
foobar_req_db(struct foobar_req *req)
{
	/* A server restarted since the last request closed this connection:
	 * found now, with a poll(2), rather than by this request's query
	 * failing with "server has gone away". */
	if (W.db != NULL && db_peer_closed(W.db)) {
		log_warn("database connection closed by the server; "
		    "connecting again");
		appd_metrics_add(&W.slot->m.db_lost, 1);
		db_close(W.db);
		W.db = NULL;
		W.db_failures = 1;
		W.db_retry_ms = 0;
	}
	if (W.db == NULL && appd_now_ms() >= W.db_retry_ms)
		worker_db_connect();
	return W.db != NULL ? db_handle(W.db) : NULL;
}

void
foobar_req_db_broken(struct foobar_req *req)
{
	if (W.db == NULL)
		return;
	log_warn("database connection lost: %s", db_error(W.db));
	appd_metrics_add(&W.slot->m.db_lost, 1);
	__atomic_store_n(&W.slot->db_up, 0, __ATOMIC_RELAXED);
	db_close(W.db);
	W.db = NULL;
	W.db_failures = 1;
	/* The next foobar_req_db connects at once (the application may try
	 * its statement again: HAProxy sends it to another Galera node);
	 * if that fails, worker_db_connect backs off. */
	W.db_retry_ms = 0;
}

/* --- request parameters ---------------------------------------------- */

const char *
foobar_req_param(struct foobar_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n; i++)
		if (strcmp(req->names[i], name) == 0)
			return req->values[i];
	return NULL;
}

const char *
foobar_req_header(struct foobar_req *req, const char *name)
{
	char key[256];
	size_t i, j = 0;

	if (strcasecmp(name, "Content-Type") == 0)
		return foobar_req_param(req, "CONTENT_TYPE");
	if (strcasecmp(name, "Content-Length") == 0)
		return foobar_req_param(req, "CONTENT_LENGTH");
	memcpy(key, "HTTP_", 5);
	j = 5;
	for (i = 0; name[i] != '\0' && j < sizeof(key) - 1; i++)
		key[j++] = name[i] == '-' ? '_' :
		    (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 :
		    name[i]);
	key[j] = '\0';
	return foobar_req_param(req, key);
}

const char *
foobar_req_method(struct foobar_req *req)
{
	return req->method;
}

const char *
foobar_req_path(struct foobar_req *req)
{
	return req->path;
}

const char *
foobar_req_query(struct foobar_req *req)
{
	return req->query;
}

long long
foobar_req_content_length(struct foobar_req *req)
{
	return req->content_length;
}

void
appd_req_each_param(struct foobar_req *r,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		fn(arg, r->names[i], r->values[i]);
}

struct req_build {
	struct foobar_req *r;
	size_t cap;
};

static int
req_add_param(void *arg, const struct fcgi_nv *nv)
{
	struct req_build *b = arg;
	struct foobar_req *r = b->r;

	if (r->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		char **nn = realloc(r->names, cap * sizeof(*nn));

		if (nn == NULL)
			return -1;
		r->names = nn;
		nn = realloc(r->values, cap * sizeof(*nn));
		if (nn == NULL)
			return -1;
		r->values = nn;
		b->cap = cap;
	}
	r->names[r->n] = strndup((const char *)nv->name, nv->nlen);
	r->values[r->n] = strndup((const char *)nv->value, nv->vlen);
	if (r->names[r->n] == NULL || r->values[r->n] == NULL) {
		free(r->names[r->n]);
		free(r->values[r->n]);
		return -1;
	}
	r->n++;
	return 0;
}

/* The path the request is routed by: DOCUMENT_URI (nginx), else the path
 * of REQUEST_URI, else SCRIPT_NAME + PATH_INFO. */
static char *
req_route_path(struct foobar_req *r)
{
	const char *s = foobar_req_param(r, "DOCUMENT_URI");
	const char *sn, *pi;
	char *out;

	if (s != NULL && s[0] == '/')
		return strdup(s);
	s = foobar_req_param(r, "REQUEST_URI");
	if (s != NULL && s[0] == '/')
		return strndup(s, strcspn(s, "?"));
	sn = foobar_req_param(r, "SCRIPT_NAME");
	pi = foobar_req_param(r, "PATH_INFO");
	if (asprintf(&out, "%s%s", sn ? sn : "", pi ? pi : "") == -1)
		return NULL;
	return out;
}

/* CONTENT_LENGTH into *out: -1 when absent or empty (nginx sends it
 * empty without a body). Returns 0, or -1 when it is not digits only or
 * overflows. */
static int
req_parse_length(const char *s, long long *out)
{
	char *end;

	*out = -1;
	if (s == NULL || s[0] == '\0')
		return 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*end == '\0' && errno != ERANGE)
		return 0;
	*out = -1;
	return -1;
}

/* Returns -1 when the request cannot be read (the connection closes);
 * a bad CONTENT_LENGTH only sets r->bad_length. */
static int
req_init(struct foobar_req *r, struct conn *c)
{
	struct req_build b = { r, 0 };
	const char *err;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->status = 200;
	if (fcgi_nv_each(c->params, c->plen, req_add_param, &b, &err) != 0)
		return -1;
	r->method = foobar_req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->query = foobar_req_param(r, "QUERY_STRING");
	if (r->query == NULL)
		r->query = "";
	r->bad_length = req_parse_length(foobar_req_param(r,
	    "CONTENT_LENGTH"), &r->content_length) == -1;
	r->path = req_route_path(r);
	return r->path == NULL ? -1 : 0;
}

static void
req_free(struct foobar_req *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->names[i]);
		free(r->values[i]);
	}
	free(r->names);
	free(r->values);
	free(r->path);
	free(r->hdrs);
}

/* --- connection I/O -------------------------------------------------- */

/* Reads more bytes into c->buf. Returns the bytes read, 0 at EOF, -1 on
 * error or after timeout_ms without data. */
static ssize_t
conn_fill(struct conn *c, int timeout_ms)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	ssize_t n;

	if (c->off == c->len)
		c->off = c->len = 0;
	else if (c->len == sizeof(c->buf)) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	for (;;) {
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			c->last_ms = appd_now_ms();
			return n;
		}
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || timeout_ms == 0)
			return -1;
		n = poll(&pfd, 1, timeout_ms);
		if (n == 0)
			return -1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static int
conn_send(struct conn *c, const void *buf, size_t len)
{
	return appd_write_all(c->fd, buf, len, IO_TIMEOUT_MS);
}

static int
conn_end_request(struct conn *c, unsigned id, unsigned pstatus)
{
	unsigned char b[FCGI_END_REQUEST_LEN];

	fcgi_end_request_encode(b, id, 0, pstatus);
	return conn_send(c, b, sizeof(b));
}

/* Records every state handles alike: management records, a second
 * request on the connection. Returns 1 when handled, 0 when not, -1 on
 * a write error. */
static int
conn_common_record(struct conn *c, const struct fcgi_event *ev)
{
	unsigned char out[1024];
	size_t n;

	if (ev->type == FCGI_GET_VALUES && ev->request_id == 0) {
		if (ev->kind == FCGI_EV_DATA) {
			memcpy(c->mgmt + c->mlen, ev->data, ev->len);
			c->mlen += ev->len;
			return 1;
		}
		n = fcgi_get_values_result(out, sizeof(out), c->mgmt,
		    c->mlen, APPD_MAX_CONNS, 1, 0);
		c->mlen = 0;
		return n > 0 && conn_send(c, out, n) == -1 ? -1 : 1;
	}
	if (ev->type > FCGI_UNKNOWN_TYPE || ev->type == 0 ||
	    (ev->request_id == 0 && ev->type != FCGI_GET_VALUES)) {
		if (ev->kind != FCGI_EV_RECORD)
			return 1;
		fcgi_unknown_type_encode(out, ev->type);
		return conn_send(c, out, FCGI_UNKNOWN_TYPE_LEN) == -1 ? -1 : 1;
	}
	return 0;
}

/* --- request body ---------------------------------------------------- */

/* Feeds the next event of the body phase. Returns 1 with data in
 * r->pend, 0 for an event without data, -1 on error or EOF. */
static int
req_body_event(struct foobar_req *r, int timeout_ms)
{
	struct conn *c = r->c;
	struct fcgi_event ev;
	long n;
	int rc;

	for (;;) {
		n = fcgi_parse(&c->p, c->buf + c->off, c->len - c->off, &ev);
		if (n < 0)
			return -1;
		c->off += (size_t)n;
		if (ev.kind != FCGI_EV_NONE)
			break;
		if (conn_fill(c, timeout_ms) <= 0)
			return -1;
	}
	if ((rc = conn_common_record(c, &ev)) != 0)
		return rc < 0 ? -1 : 0;
	if (ev.request_id != c->id) {
		if (ev.type == FCGI_BEGIN_REQUEST && ev.kind == FCGI_EV_RECORD)
			return conn_end_request(c, ev.request_id,
			    FCGI_CANT_MPX_CONN) == -1 ? -1 : 0;
		return 0;
	}
	if (ev.type == FCGI_ABORT_REQUEST) {
		r->aborted = 1;
		return -1;
	}
	if (ev.type != FCGI_STDIN)
		return 0;
	if (ev.kind == FCGI_EV_DATA) {
		r->pend = ev.data;
		r->pendlen = ev.len;
		return 1;
	}
	if (ev.content_length == 0)
		r->stdin_done = 1;
	return 0;
}

ssize_t
appd_req_read(struct foobar_req *r, void *buf, size_t len)
{
	size_t n;
	int rc;

	while (r->pendlen == 0) {
		if (r->stdin_done)
			return 0;
		if (r->aborted || r->c->eof)
			return -1;
		rc = req_body_event(r, IO_TIMEOUT_MS);
		if (rc == -1)
			return -1;
	}
	n = len < r->pendlen ? len : r->pendlen;
	memcpy(buf, r->pend, n);
	r->pend += n;
	r->pendlen -= n;
	return (ssize_t)n;
}

ssize_t
foobar_req_read(struct foobar_req *req, void *buf, size_t len)
{
	return appd_req_read(req, buf, len);
}

int
appd_req_body_fd(struct foobar_req *r)
{
	if (r->stdin_done || r->pendlen > 0 || r->c->off < r->c->len)
		return -1;
	return r->c->fd;
}

/* Reads and drops the rest of the body. Returns 0, -1 on error. */
static int
req_drain_body(struct foobar_req *r)
{
	char sink[8192];
	ssize_t n;

	while ((n = appd_req_read(r, sink, sizeof(sink))) > 0)
		;
	return n == 0 ? 0 : -1;
}

/* --- response -------------------------------------------------------- */

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

static int
resp_flush(struct foobar_req *r)
{
	unsigned plen;

	if (r->outlen == 0 || r->failed)
		return r->failed ? -1 : 0;
	plen = fcgi_padding(r->outlen);
	fcgi_header_encode(r->rec, FCGI_STDOUT, r->c->id, r->outlen, plen);
	memset(r->rec + FCGI_HEADER_LEN + r->outlen, 0, plen);
	if (conn_send(r->c, r->rec, FCGI_HEADER_LEN + r->outlen + plen) ==
	    -1)
		r->failed = 1;
	r->outlen = 0;
	return r->failed ? -1 : 0;
}

/* Sends the buffered STDOUT, the empty STDOUT record and END_REQUEST in
 * one write. Returns 0 or -1. */
static int
resp_finish(struct foobar_req *r)
{
	size_t off = 0;
	unsigned plen;

	if (r->failed)
		return -1;
	if (r->outlen > 0) {
		plen = fcgi_padding(r->outlen);
		fcgi_header_encode(r->rec, FCGI_STDOUT, r->c->id, r->outlen,
		    plen);
		memset(r->rec + FCGI_HEADER_LEN + r->outlen, 0, plen);
		off = FCGI_HEADER_LEN + r->outlen + plen;
		r->outlen = 0;
	}
	off += fcgi_record_encode(r->rec + off, sizeof(r->rec) - off,
	    FCGI_STDOUT, r->c->id, NULL, 0);
	off += fcgi_end_request_encode(r->rec + off, r->c->id, 0,
	    FCGI_REQUEST_COMPLETE);
	if (conn_send(r->c, r->rec, off) == -1)
		r->failed = 1;
	return r->failed ? -1 : 0;
}

/* Appends content to the STDOUT buffer, flushing full records. */
static int
resp_append(struct foobar_req *r, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n;

	while (len > 0) {
		if (r->failed)
			return -1;
		n = FCGI_STREAM_CHUNK - r->outlen;
		if (n > len)
			n = len;
		memcpy(r->rec + FCGI_HEADER_LEN + r->outlen, p, n);
		r->outlen += n;
		p += n;
		len -= n;
		if (r->outlen == FCGI_STREAM_CHUNK && resp_flush(r) == -1)
			return -1;
	}
	return r->failed ? -1 : 0;
}

static int
resp_send_head(struct foobar_req *r)
{
	char line[64];
	int n;

	if (r->head_sent)
		return 0;
	r->head_sent = 1;
	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", r->status,
	    http_reason(r->status));
	if (resp_append(r, line, (size_t)n) == -1 ||
	    resp_append(r, r->hdrs ? r->hdrs : "", r->hlen) == -1)
		return -1;
	return resp_append(r, "\r\n", 2);
}

int
foobar_resp_status(struct foobar_req *req, int status)
{
	if (req->head_sent || status < 100 || status > 999)
		return -1;
	req->status = status;
	return 0;
}

int
foobar_resp_header(struct foobar_req *req, const char *name,
    const char *value)
{
	size_t need = strlen(name) + strlen(value) + 4;
	char *nh;

	if (req->head_sent || strpbrk(name, "\r\n:") != NULL ||
	    strpbrk(value, "\r\n") != NULL)
		return -1;
	if (req->hlen + need + 1 > req->hcap) {
		size_t cap = (req->hlen + need) * 2 + 256;

		if ((nh = realloc(req->hdrs, cap)) == NULL)
			return -1;
		req->hdrs = nh;
		req->hcap = cap;
	}
	req->hlen += (size_t)sprintf(req->hdrs + req->hlen, "%s: %s\r\n", name,
	    value);
	return 0;
}

int
foobar_resp_write(struct foobar_req *req, const void *buf, size_t len)
{
	if (resp_send_head(req) == -1)
		return -1;
	return resp_append(req, buf, len);
}

int
foobar_resp_printf(struct foobar_req *req, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	rc = foobar_resp_write(req, s, (size_t)n);
	free(s);
	return rc;
}

int
appd_resp_raw(struct foobar_req *r, const void *buf, size_t len)
{
	r->head_sent = 1;
	return resp_append(r, buf, len);
}

int
appd_resp_error(struct foobar_req *r, int status, const char *msg)
{
	if (r->head_sent)
		return -1;
	r->status = status;
	r->hlen = 0;
	foobar_resp_header(r, "Content-Type", "text/plain; charset=utf-8");
	if (status == 503)
		foobar_resp_header(r, "Retry-After", "1");
	return foobar_resp_printf(r, "%s\n", msg);
}

void
foobar_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("%s", line);
}

/* --- dispatch -------------------------------------------------------- */

static int
worker_status_page(struct foobar_req *r)
{
	int json = strstr(r->query, "json") != NULL;
	char *s = appd_status_render(W.board, json);
	int rc;

	if (s == NULL)
		return -1;
	foobar_resp_header(r, "Content-Type", json ? "application/json" :
	    "text/plain");
	foobar_resp_header(r, "Cache-Control", "no-store");
	rc = foobar_resp_write(r, s, strlen(s));
	free(s);
	return rc;
}

static int
worker_prefix(const char *path, const char *prefix)
{
	return prefix != NULL && strncmp(path, prefix, strlen(prefix)) == 0;
}

static void
worker_dispatch(struct foobar_req *r)
{
	const struct appd_conf *cf = W.conf;
	int rc;

	if (r->bad_length)
		rc = appd_resp_error(r, 400, "bad CONTENT_LENGTH");
	else if (cf->status_path != NULL &&
	    strcmp(r->path, cf->status_path) == 0)
		rc = worker_status_page(r);
	else if (worker_prefix(r->path, cf->cgi_prefix))
		rc = appd_cgi_run(r, cf, r->path);
	else if (W.app != NULL) {
		rc = W.app->handle(W.app_ctx, r);
		if (W.db != NULL && db_error_is_fatal(W.db))
			foobar_req_db_broken(r);
	} else
		rc = appd_resp_error(r, 404, "not found");
	if (rc == -1 && !r->head_sent)
		appd_resp_error(r, 500, "internal error");
}

static void
worker_slot_note(struct foobar_req *r)
{
	struct appd_slot *s = W.slot;

	snprintf(s->method, sizeof(s->method), "%s", r->method);
	snprintf(s->uri, sizeof(s->uri), "%s", r->path);
	__atomic_store_n(&s->busy_since_ms, appd_now_ms(), __ATOMIC_RELAXED);
	worker_set_state(SLOT_BUSY);
}

/* Runs the request whose params are complete on c. Returns 0 when the
 * connection can stay, -1 when it must close. */
static int
worker_request(struct conn *c)
{
	static struct foobar_req r;
	uint64_t t0 = appd_now_us();
	int ok;

	if (req_init(&r, c) == -1) {
		req_free(&r);
		return -1;
	}
	worker_slot_note(&r);
	worker_dispatch(&r);
	if (!r.head_sent)
		resp_send_head(&r);
	/* an aborted request still ends with END_REQUEST, and the
	 * connection stays usable */
	ok = r.aborted || req_drain_body(&r) == 0;
	if (ok) {
		if (r.aborted)
			r.outlen = 0;
		if (resp_finish(&r) == -1)
			ok = 0;
	}
	W.served++;
	__atomic_store_n(&W.slot->requests, W.served, __ATOMIC_RELAXED);
	appd_metrics_request(&W.slot->m, r.status, appd_now_us() - t0,
	    W.conf->slow_request);
	worker_set_state(worker_draining() ? SLOT_EXITING : SLOT_IDLE);
	req_free(&r);
	c->have_begin = 0;
	c->params_done = 0;
	c->plen = 0;
	return ok && c->keep ? 0 : -1;
}

/* Handles one event between requests. Returns 1 when params are
 * complete (run the request), 0 to go on, -1 to close. */
static int
conn_idle_event(struct conn *c, const struct fcgi_event *ev)
{
	int rc;

	if ((rc = conn_common_record(c, ev)) != 0)
		return rc < 0 ? -1 : 0;
	if (ev->type == FCGI_BEGIN_REQUEST) {
		if (c->have_begin)
			return conn_end_request(c, ev->request_id,
			    FCGI_CANT_MPX_CONN) == -1 ? -1 : 0;
		c->keep = (ev->flags & FCGI_KEEP_CONN) != 0;
		if (ev->role != FCGI_RESPONDER) {
			rc = conn_end_request(c, ev->request_id,
			    FCGI_UNKNOWN_ROLE);
			return rc == -1 || !c->keep ? -1 : 0;
		}
		c->have_begin = 1;
		c->id = ev->request_id;
		c->plen = 0;
		return 0;
	}
	if (!c->have_begin || ev->request_id != c->id)
		return 0; /* records of an ended or unknown request */
	if (ev->type == FCGI_ABORT_REQUEST) {
		c->have_begin = 0;
		rc = conn_end_request(c, c->id, FCGI_REQUEST_COMPLETE);
		return rc == -1 || !c->keep ? -1 : 0;
	}
	if (ev->type != FCGI_PARAMS)
		return -1; /* STDIN before the params end */
	if (ev->kind == FCGI_EV_RECORD)
		return ev->content_length == 0 ? 1 : 0;
	if (c->plen + ev->len > PARAMS_MAX)
		return -1;
	if (c->plen + ev->len > c->pcap) {
		size_t cap = (c->plen + ev->len) * 2;
		unsigned char *np = realloc(c->params, cap);

		if (np == NULL)
			return -1;
		c->params = np;
		c->pcap = cap;
	}
	memcpy(c->params + c->plen, ev->data, ev->len);
	c->plen += ev->len;
	return 0;
}

/* Whether the request whose params are complete can run: its body has
 * all come (its empty STDIN record is in the buffer), so that the worker
 * never waits on a slow client; or it cannot all fit in the buffer, and
 * is read as the request runs (bounded by request_timeout). */
static int
conn_body_here(struct conn *c)
{
	if (fcgi_stdin_complete(&c->p, c->buf + c->off, c->len - c->off,
	    c->id) != 0)
		return 1;
	if (c->off > 0) {	/* room for the rest */
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	return c->len == sizeof(c->buf);
}

/* Parses the buffered bytes of c, running every request that becomes
 * complete, with its body. Returns 0, or -1 to close c. */
static int
conn_process(struct conn *c)
{
	struct fcgi_event ev;
	long n;
	int rc;

	for (;;) {
		if (c->body_wait != 0) {
			if (!conn_body_here(c))
				return c->eof ? -1 : 0;
			c->body_wait = 0;
			if (worker_request(c) == -1)
				return -1;
			continue;
		}
		n = fcgi_parse(&c->p, c->buf + c->off, c->len - c->off, &ev);
		if (n < 0) {
			log_warn("fastcgi connection: %s", c->p.err);
			return -1;
		}
		c->off += (size_t)n;
		if (ev.kind == FCGI_EV_NONE)
			return c->eof ? -1 : 0;
		rc = conn_idle_event(c, &ev);
		if (rc == -1)
			return -1;
		if (rc == 1)
			c->body_wait = appd_now_ms();
	}
}

static void
conn_close(unsigned i)
{
	struct conn *c = W.conns[i];

	if (!c->gone)
		close(c->fd);
	free(c->params);
	free(c);
	W.conns[i] = W.conns[--W.nconns];
}

/* No request under way or waiting in the socket: safe to close. */
static int
conn_is_idle(struct conn *c)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };

	if (c->have_begin || c->off < c->len || !fcgi_parser_idle(&c->p))
		return 0;
	return poll(&pfd, 1, 0) == 0;
}

void
appd_worker_shed_idle(struct foobar_req *r)
{
	unsigned i;

	if (W.nconns < 2)
		return;
	for (i = 0; i < W.nconns; i++) {
		struct conn *c = W.conns[i];

		if (c == r->c || c->gone || !conn_is_idle(c))
			continue;
		if (appd_send_fd(W.chan_fd, c->fd) == -1)
			continue; /* keep it */
		close(c->fd);
		c->gone = 1;
	}
}

/* Gives the idle connection i to the master, which passes it on to a
 * worker that stays: the front's kept connection is never closed, so a
 * request it sends meanwhile just waits in the socket. Closes it when the
 * master cannot take it. */
static void
conn_handover(unsigned i)
{
	if (appd_send_fd(W.chan_fd, W.conns[i]->fd) == -1)
		log_warn("connection hand-over: %s", strerror(errno));
	conn_close(i);
}

static void conn_add(int fd);

/* A connection handed over by the master. */
static void
worker_adopt(void)
{
	int fd = appd_recv_fd(W.chan_fd);

	if (fd == -1)
		return;
	if (worker_draining() || W.nconns == APPD_MAX_CONNS) {
		if (appd_send_fd(W.chan_fd, fd) == -1)
			log_warn("connection hand-back: %s", strerror(errno));
		close(fd);
		return;
	}
	conn_add(fd);
}

/* Before exit: refuse further hand-overs (the master's send fails from
 * now on) and give back any connection still queued for us. */
static void
worker_return_handovers(void)
{
	int fd;

	shutdown(W.chan_fd, SHUT_RD);
	while ((fd = appd_recv_fd(W.chan_fd)) != -1) {
		if (appd_send_fd(W.chan_fd, fd) == -1)
			log_warn("connection hand-back: %s", strerror(errno));
		close(fd);
	}
}

/* Takes a waiting connection, when there is room: a connection handed
 * over in the same round may have filled the table. */
static void
worker_accept(void)
{
	int fd;

	if (W.nconns == APPD_MAX_CONNS)
		return;		/* it waits for another worker */
	fd = accept4(W.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd != -1) {
		appd_metrics_add(&W.slot->m.accepted, 1);
		conn_add(fd);
	}
}

static void
conn_add(int fd)
{
	struct conn *c;

	if (W.nconns == APPD_MAX_CONNS ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->last_ms = appd_now_ms();
	fcgi_parser_init(&c->p);
	W.conns[W.nconns++] = c;
}

/* One round of the event loop. */
static void
worker_poll_once(void)
{
	struct pollfd pfd[APPD_MAX_CONNS + 2];
	int draining = worker_draining(), with_listen;
	unsigned i, n = 0, chan_at;
	int64_t now;

	with_listen = !draining && W.nconns < APPD_MAX_CONNS;
	for (i = 0; i < W.nconns; i++) {
		pfd[n].fd = W.conns[i]->fd;
		pfd[n++].events = POLLIN;
	}
	chan_at = n;
	pfd[n].fd = W.chan_fd;
	pfd[n++].events = POLLIN;
	if (with_listen) {
		pfd[n].fd = W.listen_fd;
		pfd[n++].events = POLLIN;
	}
	if (poll(pfd, n, 500) <= 0)
		return;
	for (i = W.nconns; i-- > 0;) {
		struct conn *c = W.conns[i];
		ssize_t got;

		if (pfd[i].revents == 0 || c->gone)
			continue;
		got = conn_fill(c, 0);
		if (got == -1 && errno == EAGAIN)
			continue;
		if (got == -1 || conn_process(c) == -1)
			conn_close(i);
	}
	for (i = W.nconns; i-- > 0;)
		if (W.conns[i]->gone)
			conn_close(i);
	if (pfd[chan_at].revents & POLLIN)
		worker_adopt();
	now = appd_now_ms();
	for (i = W.nconns; i-- > 0;) {
		struct conn *c = W.conns[i];

		if (c->body_wait != 0 && W.conf->request_timeout > 0 &&
		    now - c->body_wait > W.conf->request_timeout) {
			log_warn("request body not complete after "
			    "request_timeout, closing the connection");
			conn_close(i);
		} else if (now - c->last_ms > W.conf->idle_timeout &&
		    conn_is_idle(c)) {
			conn_close(i);
		}
	}
	if (with_listen && (pfd[n - 1].revents & POLLIN) &&
	    !worker_draining())
		worker_accept();
}

/* --- life cycle ------------------------------------------------------ */

static int
worker_load_module(void)
{
	const struct foobar_app *(*entry)(void);
	void *h;

	if (W.conf->module == NULL)
		return 0;
	h = dlopen(W.conf->module, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		log_err("module %s: %s", W.conf->module, dlerror());
		return -1;
	}
	*(void **)&entry = dlsym(h, FOOBAR_APP_ENTRY);
	if (entry == NULL || (W.app = entry()) == NULL) {
		log_err("module %s: no %s", W.conf->module, FOOBAR_APP_ENTRY);
		return -1;
	}
	if (W.app->api_version != FOOBAR_APP_API_VERSION ||
	    W.app->handle == NULL) {
		log_err("module %s: API version %u, appd speaks %u",
		    W.conf->module, W.app->api_version,
		    FOOBAR_APP_API_VERSION);
		return -1;
	}
	if (W.app->init != NULL && W.app->init(&W.app_ctx) == -1) {
		log_err("module %s: init failed", W.conf->module);
		return -1;
	}
	return 0;
}

static void
worker_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void
appd_worker_run(const struct appd_worker_args *a)
{
	int64_t drain_since = 0;
	unsigned i;

	W.conf = a->conf;
	W.board = a->board;
	W.slot = &a->board->slot[a->slot];
	W.listen_fd = a->listen_fd;
	W.chan_fd = a->chan_fd;
	worker_signals();
	if (worker_load_module() == -1)
		_exit(EXIT_CONFIG_WORKER);
	worker_db_connect();
	worker_set_state(SLOT_IDLE);
	while (!worker_draining() || W.nconns > 0) {
		worker_poll_once();
		if (worker_draining()) {
			if (drain_since == 0)
				drain_since = appd_now_ms();
			else if (appd_now_ms() - drain_since > 10000)
				break;
			/* finish requests under way, also those whose bytes
			 * are still in the socket; close only connections
			 * that are idle and empty */
			for (i = W.nconns; i-- > 0;)
				if (conn_is_idle(W.conns[i]))
					conn_handover(i);
		}
	}
	worker_set_state(SLOT_EXITING);
	worker_return_handovers();
	if (W.app != NULL && W.app->fini != NULL)
		W.app->fini(W.app_ctx);
	db_close(W.db);
	exit(0);
}
