/* http.c - the HTTP side on libmicrohttpd: its callbacks, connection
 * limits and deadlines, routing, forwarding to FastCGI (fwd.c), strict
 * reading (strict.c), the servers and the /metrics listener. The loop
 * threads that run its daemons are in loop.c, the answers from files in
 * static.c; the three share http.h, the only header of webd that includes
 * <microhttpd.h>. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "prom.h"

/* After an answer sent in the middle of a request body (408, or 413
 * past the body deadline), the connection is kept half-open this long for
 * the client to read it, reading and dropping what it still sends. */
#define HTTP_LINGER_MS 2000

/* Connections from one address, for max_connections_per_ip. */
struct ipcount {
	struct ipcount *next;
	unsigned n;
	char addr[INET6_ADDRSTRLEN];
};

/* The loop of the calling thread (MHD's callbacks run on it). */
__thread struct loop *http_loop;

/* A callback of libmicrohttpd ran: the turn did something. */
void
http_moved(void)
{
	if (http_loop != NULL)
		http_loop->turn.moved++;
}

static unsigned long long http_requests;

static struct wmetrics *
http_metrics(void)
{
	return http_loop != NULL ? http_loop->metrics : NULL;
}

/* Moves cn to metrics state to (-1: closed). */
static void
http_mstate(struct conn *cn, int to)
{
	if (cn->mstate != to)
		metrics_conn(http_metrics(), cn->mstate, to, 1);
	cn->mstate = to;
}

long long
http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

unsigned long long
server_requests_total(void)
{
	return __atomic_load_n(&http_requests, __ATOMIC_RELAXED);
}

/* --- connections, deadlines, the access log --- */

static void
http_set_deadline(struct conn *cn, long long deadline)
{
	__atomic_store_n(&cn->deadline, deadline, __ATOMIC_RELAXED);
}

static struct ipcount **
http_ip_slot(struct server *s, const char *addr)
{
	struct ipcount **e;
	unsigned h = 5381;
	const char *a;

	for (a = addr; *a != '\0'; a++)
		h = h * 33 + (unsigned char)*a;
	for (e = &s->ips[h % HTTP_IP_BUCKETS]; *e != NULL; e = &(*e)->next)
		if (strcmp((*e)->addr, addr) == 0)
			break;
	return e;
}

/* Counts cn against its address, with s->lock held. Returns 1 when that
 * puts the address over max_connections_per_ip. The threads share one
 * count, so the cap holds for the whole server. */
static int
http_ip_add(struct server *s, struct conn *cn)
{
	struct ipcount **e = http_ip_slot(s, cn->addr);

	if (*e == NULL) {
		if ((*e = calloc(1, sizeof(**e))) == NULL)
			return 0;
		snprintf((*e)->addr, sizeof((*e)->addr), "%s", cn->addr);
	}
	(*e)->n++;
	cn->counted = 1;
	return s->cf->max_connections_per_ip > 0 &&
	    (*e)->n > (unsigned long long)s->cf->max_connections_per_ip;
}

static void
http_ip_del(struct server *s, struct conn *cn)
{
	struct ipcount **e, *dead;

	if (!cn->counted)
		return;
	e = http_ip_slot(s, cn->addr);
	if (*e != NULL && --(*e)->n == 0) {
		dead = *e;
		*e = dead->next;
		free(dead);
	}
}

/* libmicrohttpd 0.9.75 puts a new connection in its list of connections
 * ready to run, not in its epoll set, and adds it there only once a read
 * has found its socket empty, which never happens during a TLS handshake
 * (gnutls_handshake() reads, not libmicrohttpd): it just runs it again on
 * every turn. So that the loop can wait for an event instead
 * (loop_mhd_timeout()), the socket of a TLS connection is in the loop's own
 * epoll, edge-triggered, from its accept to its first request (then the
 * handshake is done, and libmicrohttpd watches it). */
static void
http_hs_event(struct webd_ev *ev, unsigned events)
{
	if (http_loop != NULL)
		http_loop->run_mhd = 1;
}

/* Puts cn's socket in its loop's epoll, edge-triggered, for fn. */
static void
http_watch(struct conn *cn, unsigned events,
    void (*fn)(struct webd_ev *ev, unsigned events))
{
	struct epoll_event e;

	if (http_loop == NULL || cn->fd < 0 || cn->hs_epfd >= 0)
		return;
	memset(&e, 0, sizeof(e));
	e.events = events | EPOLLET;
	cn->hs_ev.fn = fn;
	e.data.ptr = &cn->hs_ev;
	if (epoll_ctl(http_loop->epfd, EPOLL_CTL_ADD, cn->fd, &e) == 0)
		cn->hs_epfd = http_loop->epfd;
}

static void
http_hs_watch(struct conn *cn)
{
	http_watch(cn, EPOLLIN | EPOLLOUT | EPOLLRDHUP, http_hs_event);
}

static void
http_hs_unwatch(struct conn *cn)
{
	if (cn->hs_epfd < 0)
		return;
	epoll_ctl(cn->hs_epfd, EPOLL_CTL_DEL, cn->fd, NULL);
	cn->hs_epfd = -1;
}

static void http_resume(void *arg);

/* The socket of a connection whose response GnuTLS still holds in part
 * became writable (or failed): once GnuTLS has sent it all, or the
 * connection failed, the answer waiting behind it goes on. */
static void
http_flush_event(struct webd_ev *ev, unsigned events)
{
	struct conn *cn = (struct conn *)(void *)((char *)ev -
	    offsetof(struct conn, hs_ev));
	struct req *r = cn->flush_wait;

	if (tls_uncork(&cn->tls_in) == 1)
		return;
	http_hs_unwatch(cn);
	if (r != NULL) {
		cn->flush_wait = NULL;
		__atomic_store_n(&cn->flushing, 0, __ATOMIC_RELAXED);
		http_set_deadline(cn, 0);
		http_resume(r);
	}
}

/* The next request's answer while GnuTLS still holds part of the last one
 * (the socket took only part of it): libmicrohttpd would add it behind,
 * in memory, whatever its size and however many requests the client
 * sends without reading. So the connection is suspended until the socket
 * has taken the rest (http_flush_event()), as if libmicrohttpd's own send
 * had waited; a client that stops reading is dropped after
 * keepalive_timeout, as libmicrohttpd drops one it cannot write to. */
static void
http_flush_wait(struct server *s, struct MHD_Connection *c, struct req *r)
{
	struct conn *cn = r->conn;

	r->mc = c;
	r->loop = http_loop;
	cn->flush_wait = r;
	__atomic_store_n(&cn->flushing, 1, __ATOMIC_RELAXED);
	http_set_deadline(cn, http_now_ms() + s->cf->keepalive_timeout);
	cn->tls_in.suspended = 1;
	MHD_suspend_connection(c);
}

/* A response is complete: what GnuTLS held of it (http_cork()) goes out,
 * before libmicrohttpd may close the connection (with MHD_USE_TURBO it
 * closes only after this callback, and sends no close_notify). Only a
 * socket short of memory takes part of it (the socket was empty): the
 * rest goes when it is writable. */
static void
http_uncork(struct conn *cn)
{
	if (cn->tls_in.corked && tls_uncork(&cn->tls_in) == 1)
		http_watch(cn, EPOLLOUT, http_flush_event);
}

/* An HTTPS connection closed before its first request: one line about a
 * handshake that failed or did not finish in time (what the client sent
 * is not logged), or about the header deadline. */
static void
http_tls_closed(struct conn *cn)
{
	int swept = __atomic_load_n(&cn->swept, __ATOMIC_RELAXED);

	if (!cn->tls_done)
		log_info("%s: TLS handshake %s, closing", cn->addr, swept ?
		    "not done within header_timeout" : "failed");
	else if (swept)
		log_info("%s: request header deadline passed, closing",
		    cn->addr);
}

static void
http_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct server *s = cls;
	struct conn *cn = *socket_context;
	const union MHD_ConnectionInfo *ci;

	http_moved();
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		int ip = 0, over = 0;

		cn = calloc(1, sizeof(*cn));
		if (cn == NULL)
			return;
		cn->srv = s;
		cn->hs_epfd = -1;
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		cn->fd = ci != NULL ? ci->connect_fd : -1;
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci != NULL && ci->tls_session != NULL) {
			cn->tls = 1;
			cn->tls_in.fd = cn->fd;
			cn->tls_in.turn = http_loop != NULL ?
			    &http_loop->turn : NULL;
			http_hs_watch(cn);
			if (tls_session_start(ci->tls_session, &cn->tls_done,
			    &cn->tls_in) == -1)
				log_debug("no session tickets on a connection");
		}
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci != NULL && ci->client_addr != NULL) {
			const struct sockaddr *sa = ci->client_addr;

			const struct sockaddr_in *in = (const void *)sa;
			const struct sockaddr_in6 *in6 = (const void *)sa;

			if (sa->sa_family == AF_INET) {
				inet_ntop(AF_INET, &in->sin_addr, cn->addr,
				    sizeof(cn->addr));
				cn->port = ntohs(in->sin_port);
				ip = 1;
			} else if (sa->sa_family == AF_INET6) {
				inet_ntop(AF_INET6, &in6->sin6_addr, cn->addr,
				    sizeof(cn->addr));
				cn->port = ntohs(in6->sin6_port);
				ip = 1;
			}
		}
		if (cn->addr[0] == '\0')
			snprintf(cn->addr, sizeof(cn->addr), "unix");
		cn->deadline = http_now_ms() + s->cf->header_timeout;
		pthread_mutex_lock(&s->lock);
		cn->next = s->conns;
		if (s->conns != NULL)
			s->conns->prev = cn;
		s->conns = cn;
		s->nconns++;
		if (ip)
			over = http_ip_add(s, cn);
		pthread_mutex_unlock(&s->lock);
		*socket_context = cn;
		cn->mstate = WM_IDLE;
		metrics_conn(http_metrics(), -1, WM_IDLE, !over);
		if (over && cn->fd >= 0) {
			/* closed unanswered, as libmicrohttpd's own cap */
			log_debug("%s: max_connections_per_ip reached",
			    cn->addr);
			shutdown(cn->fd, SHUT_RDWR);
		}
		return;
	}
	if (cn == NULL)
		return;
	/* Closed: MHD closes the fd only after this returns; it may have
	 * ended the TLS session already, which reads no more through
	 * cn->tls_in either way. */
	http_hs_unwatch(cn);
	if (cn->tls_in.corked)
		log_debug("%s: closed with part of a response unsent",
		    cn->addr);
	if (cn->tls && cn->requests == 0)
		http_tls_closed(cn);
	pthread_mutex_lock(&s->lock);
	if (cn->prev != NULL)
		cn->prev->next = cn->next;
	else
		s->conns = cn->next;
	if (cn->next != NULL)
		cn->next->prev = cn->prev;
	s->nconns--;
	http_ip_del(s, cn);
	pthread_mutex_unlock(&s->lock);
	http_mstate(cn, -1);
	tls_in_free(&cn->tls_in);
	free(cn);
	*socket_context = NULL;
}

static void *
http_uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct req *r = calloc(1, sizeof(*r));

	http_moved();
	if (r == NULL)
		return NULL;
	r->uri = strdup(uri);
	if (r->uri == NULL) {
		free(r);
		return NULL;
	}
	r->t0 = metrics_now_us();
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	r->conn = ci != NULL ? ci->socket_context : NULL;
	if (r->conn != NULL) {
		long long dl = http_now_ms() + s->cf->header_timeout;
		long long cur = __atomic_load_n(&r->conn->deadline,
		    __ATOMIC_RELAXED);

		__atomic_add_fetch(&r->conn->requests, 1, __ATOMIC_RELAXED);
		if (!r->conn->tls_in.corked)
			http_hs_unwatch(r->conn);
		http_mstate(r->conn, WM_READING);
		__atomic_store_n(&r->conn->idle, 0, __ATOMIC_RELAXED);
		if (cur == 0 || dl < cur)
			http_set_deadline(r->conn, dl);
	}
	return r;
}

static void http_body_unwatch(struct req *r);

static void
http_completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct req *r = *req_cls;

	http_moved();
	if (r == NULL)
		return;
	if (r->conn != NULL)
		http_uncork(r->conn);
	if (r->status != 0) {
		__atomic_add_fetch(&http_requests, 1, __ATOMIC_RELAXED);
		metrics_request(http_metrics(), r->mloc, r->status, r->bytes,
		    metrics_now_us() - r->t0);
		if (accesslog_enabled(s->al)) {
			struct accesslog_entry e = {
				.addr = r->addr[0] ? r->addr :
				    r->conn ? r->conn->addr : NULL,
				.when = time(NULL),
				.method = r->method,
				.uri = r->uri,
				.version = r->version,
				.status = r->status,
				.bytes = r->bytes,
				.scheme = r->conn && r->conn->tls ? "https" :
				    "http",
				.referer = MHD_lookup_connection_value(c,
				    MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER),
				.user_agent = MHD_lookup_connection_value(c,
				    MHD_HEADER_KIND,
				    MHD_HTTP_HEADER_USER_AGENT),
			};
			accesslog_write(s->al, &e);
		}
	}
	if (r->conn != NULL) {
		http_set_deadline(r->conn,
		    http_now_ms() + s->cf->keepalive_timeout);
		__atomic_store_n(&r->conn->idle, 1, __ATOMIC_RELAXED);
		http_mstate(r->conn, WM_IDLE);
	}
	http_body_unwatch(r);
	if (r->fr != NULL) {
		if (r->fprev != NULL)
			r->fprev->fnext = r->fnext;
		else
			r->loop->fwds = r->fnext;
		if (r->fnext != NULL)
			r->fnext->fprev = r->fprev;
		fwd_release(r->fr);
	}
	free(r->uri);
	free(r);
	*req_cls = NULL;
}

void
server_sweep(struct server *s)
{
	long long now = http_now_ms();
	int close_idle = __atomic_load_n(&s->close_idle, __ATOMIC_RELAXED);
	struct conn *cn;

	pthread_mutex_lock(&s->lock);
	for (cn = s->conns; cn != NULL; cn = cn->next) {
		long long dl = __atomic_load_n(&cn->deadline,
		    __ATOMIC_RELAXED);
		int idle = __atomic_load_n(&cn->idle, __ATOMIC_RELAXED);

		if (cn->fd < 0 || ((dl == 0 || now < dl) &&
		    !(close_idle && idle)))
			continue;
		/* an HTTPS connection's first deadline is logged when it
		 * closes: it may have been its handshake's */
		if (__atomic_load_n(&cn->flushing, __ATOMIC_RELAXED))
			log_info("%s: client stopped reading for "
			    "keepalive_timeout, closing", cn->addr);
		else if (dl != 0 && now >= dl && !idle &&
		    !__atomic_load_n(&cn->lingering, __ATOMIC_RELAXED) &&
		    (!cn->tls ||
		    __atomic_load_n(&cn->requests, __ATOMIC_RELAXED) > 0))
			log_info("%s: request header deadline passed, "
			    "closing", cn->addr);
		__atomic_store_n(&cn->swept, 1, __ATOMIC_RELAXED);
		shutdown(cn->fd, SHUT_RDWR);
		http_set_deadline(cn, 0);
		__atomic_store_n(&cn->idle, 0, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->lock);
}

unsigned
server_connections(struct server *s)
{
	return __atomic_load_n(&s->nconns, __ATOMIC_RELAXED);
}

/* --- responses --- */

/* Strict-Transport-Security on https answers, when [tls] hsts is set. */
void
http_hsts(struct server *s, const struct req *r, struct MHD_Response *resp)
{
	if (s->hsts[0] != '\0' && r->conn != NULL && r->conn->tls)
		MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY, s->hsts);
}

/* A static answer of a few kilobytes over TLS to a GET without a body:
 * GnuTLS holds its header and body until it is complete (http_uncork()),
 * so that they go out as one record and one write, not two (the client
 * reads and decrypts one record, not two). */
static void
http_cork(struct req *r, unsigned status, unsigned long long bytes)
{
	struct conn *cn = r->conn;

	if (cn == NULL || !cn->tls)
		return;
	if (!r->pushed)
		cn->tls_in.tcp_corked = 1;	/* maybe: see tls_uncork() */
	if (r->fr != NULL || bytes == 0 || bytes > HTTP_CORK_MAX ||
	    (status != 200 && status != 206) || r->body != 0 || r->chunked ||
	    strcmp(r->method, "GET") != 0)
		return;
	tls_cork(&cn->tls_in);
}

enum MHD_Result
http_queue(struct server *s, struct MHD_Connection *c, struct req *r,
    unsigned status, struct MHD_Response *resp, unsigned long long bytes,
    int fresh)
{
	enum MHD_Result rc;

	if (fresh && (r->chunked ||
	    __atomic_load_n(&s->draining, __ATOMIC_RELAXED)))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	if (fresh)
		http_hsts(s, r, resp);
	r->status = (int)status;
	r->bytes = strcmp(r->method, "HEAD") == 0 || status == 304 ? 0 :
	    bytes;
	http_cork(r, status, r->bytes);
	rc = MHD_queue_response(c, status, resp);
	if (fresh)
		MHD_destroy_response(resp);
	return rc;
}

static const char *
http_reason(unsigned status)
{
	const char *s = MHD_get_reason_phrase_for(status);

	return s != NULL && *s != '\0' ? s : "Error";
}

#define HTTP_ERROR_PAGE "<html><body><h1>%u %s</h1></body></html>\n"
/* Retry-After while maintenance_file exists, in seconds. */
#define HTTP_MAINTENANCE_RETRY "10"

/* An error page; close asks for the connection to be closed after it,
 * retry (seconds, or NULL) is sent as Retry-After. */
static enum MHD_Result
http_error_retry(struct server *s, struct MHD_Connection *c, struct req *r,
    unsigned status, int close, const char *retry)
{
	struct MHD_Response *resp;
	char body[128];
	int n;

	n = snprintf(body, sizeof(body), HTTP_ERROR_PAGE, status,
	    http_reason(status));
	resp = MHD_create_response_from_buffer((size_t)n, body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/html; charset=utf-8");
	if (status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	if (retry != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    retry);
	if (close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	return http_queue(s, c, r, status, resp, (unsigned long long)n, 1);
}

enum MHD_Result
http_error(struct server *s, struct MHD_Connection *c, struct req *r,
    unsigned status, int close)
{
	return http_error_retry(s, c, r, status, close, NULL);
}

const char *
http_header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* --- request bodies: read whole, within a deadline --- */

static void
http_body_deadline(struct server *s, struct req *r)
{
	const struct webd_config *cf = s->cf;

	r->body_deadline = body_deadline(r->body_start, r->body,
	    cf->body_timeout, cf->body_min_rate, cf->body_rate_grace);
}

/* A body is coming: its deadline runs from now (loop_bodies()). */
static void
http_body_watch(struct server *s, struct req *r)
{
	struct loop *l = http_loop;

	r->loop = l;
	r->body_start = http_now_ms();
	http_body_deadline(s, r);
	r->bprev = NULL;
	r->bnext = l->bodies;
	if (l->bodies != NULL)
		l->bodies->bprev = r;
	l->bodies = r;
}

static void
http_body_unwatch(struct req *r)
{
	if (r->body_deadline == 0)
		return;
	if (r->bprev != NULL)
		r->bprev->bnext = r->bnext;
	else
		r->loop->bodies = r->bnext;
	if (r->bnext != NULL)
		r->bnext->bprev = r->bprev;
	r->bprev = r->bnext = NULL;
	r->body_deadline = 0;
}

/* Answers status in the middle of a request body, which libmicrohttpd
 * 0.9.75 cannot do (it queues a response only before or after the body):
 * the answer goes to the socket directly, which libmicrohttpd does not
 * write to while it reads a body, and our side of the connection is shut.
 * The rest of the body is dropped; the connection is closed when the
 * client closes it, or after HTTP_LINGER_MS. */
void
http_body_abort(struct req *r, unsigned status)
{
	struct conn *cn = r->conn;
	const char *reason = http_reason(status);
	char msg[512], date[32];
	int blen, n;

	http_body_unwatch(r);
	r->aborted = 1;
	r->status = (int)status;
	if (cn == NULL || cn->fd < 0)
		return;
	cond_date_format(date, sizeof(date), time(NULL));
	blen = snprintf(NULL, 0, HTTP_ERROR_PAGE, status, reason);
	n = snprintf(msg, sizeof(msg), "HTTP/1.1 %u %s\r\nDate: %s\r\n"
	    "Connection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %d\r\n\r\n" HTTP_ERROR_PAGE, status, reason,
	    date, blen, status, reason);
	if (n > 0 && (size_t)n < sizeof(msg) &&
	    send(cn->fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n)
		r->bytes = (unsigned long long)blen;
	shutdown(cn->fd, SHUT_WR);
	__atomic_store_n(&cn->lingering, 1, __ATOMIC_RELAXED);
	http_set_deadline(cn, http_now_ms() + HTTP_LINGER_MS);
}

/* Body bytes: kept for the backend, or counted and dropped. */
static enum MHD_Result
http_body_data(struct server *s, struct req *r, const char *data,
    size_t *size)
{
	size_t n = *size;

	*size = 0;
	if (r->aborted)
		return MHD_YES;
	r->body += (long long)n;
	if (r->body > s->cf->max_body) {
		r->too_big = 1;		/* 413 once it is all read */
	} else if (r->fr != NULL && fwd_body(r->fr, data, n) == -1) {
		log_err("%s: request body: %s", r->conn ? r->conn->addr : "?",
		    strerror(errno));
		http_body_abort(r, 500);
		return MHD_YES;
	}
	if (r->body_deadline != 0)
		http_body_deadline(s, r);
	return MHD_YES;
}

/* --- FastCGI forwarding --- */

static void
http_suspend(void *arg)
{
	struct req *r = arg;

	if (r->conn != NULL)
		r->conn->tls_in.suspended = 1;
	MHD_suspend_connection(r->mc);
}

/* On the loop's thread: the loop runs its daemons after this batch. */
static void
http_resume(void *arg)
{
	struct req *r = arg;

	if (r->conn != NULL)
		r->conn->tls_in.suspended = 0;
	MHD_resume_connection(r->mc);
	r->loop->run_mhd = 1;
}

static int
http_param(struct fwd_req *fr, const char *name, const char *value)
{
	if (value == NULL)
		value = "";
	return fwd_param(fr, name, strlen(name), value, strlen(value));
}

#define HTTP_MAX_FIELDS 128

/* The request's header fields, in order (MHD keeps the strings). */
struct http_fields {
	const char *key[HTTP_MAX_FIELDS];
	const char *value[HTTP_MAX_FIELDS];
	size_t n;
};

static enum MHD_Result
http_collect(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct http_fields *f = cls;

	if (f->n == HTTP_MAX_FIELDS)
		return MHD_NO;
	f->key[f->n] = key;
	f->value[f->n] = value ? value : "";
	f->n++;
	return MHD_YES;
}

/* Request headers as HTTP_* parameters, repeated fields joined (", ", or
 * "; " for Cookie). Names with "_" are dropped (they would pass for their
 * "-" twins), and Proxy (httpoxy). 0 or -1. */
static int
http_param_headers(struct MHD_Connection *c, struct fwd_req *fr)
{
	struct http_fields f;
	size_t i, j;

	f.n = 0;
	MHD_get_connection_values(c, MHD_HEADER_KIND, http_collect, &f);
	for (i = 0; i < f.n; i++) {
		const char *key = f.key[i];
		char name[256], value[16384];
		size_t k, n = 5, vlen;
		int seen = 0;

		for (j = 0; j < i && !seen; j++)
			seen = strcasecmp(f.key[j], key) == 0;
		if (seen || strcasecmp(key, "Proxy") == 0 ||
		    strcasecmp(key, "Content-Type") == 0 ||
		    strcasecmp(key, "Content-Length") == 0 ||
		    strchr(key, '_') != NULL || strlen(key) + 6 > sizeof(name))
			continue;
		memcpy(name, "HTTP_", 5);
		for (k = 0; key[k] != '\0'; k++) {
			char ch = key[k];

			if (ch == '-')
				ch = '_';
			else if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			name[n++] = ch;
		}
		name[n] = '\0';
		vlen = (size_t)snprintf(value, sizeof(value), "%s", f.value[i]);
		for (j = i + 1; j < f.n && vlen < sizeof(value); j++)
			if (strcasecmp(f.key[j], key) == 0)
				vlen += (size_t)snprintf(value + vlen,
				    sizeof(value) - vlen, "%s%s",
				    strcasecmp(key, "Cookie") == 0 ? "; " : ", ",
				    f.value[j]);
		if (vlen >= sizeof(value))
			vlen = sizeof(value) - 1;
		if (fwd_param(fr, name, n, value, vlen) == -1)
			return -1;
	}
	return 0;
}

/* The RFC 3875 variables, plus what php-fpm and nginx users expect. */
static int
http_fwd_params(struct server *s, struct MHD_Connection *c, struct req *r,
    const char *abs, long long clen)
{
	struct fwd_req *fr = r->fr;
	const char *q = strchr(r->uri, '?'), *php, *host;
	char script[WEBD_PATH_MAX + 2], file[PATH_MAX + WEBD_PATH_MAX + 8];
	char num[32];
	char host_name[256], saddr[INET6_ADDRSTRLEN] = "", sport[8] = "";
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t n;
	int rc = 0;

	memset(&ss, 0, sizeof(ss));
	php = strstr(abs, ".php/");
	n = php != NULL ? (size_t)(php + 4 - abs) : strlen(abs);
	snprintf(script, sizeof(script), "%.*s", (int)n, abs);
	snprintf(file, sizeof(file), "%s%s", s->rootpath, script);
	host = http_header(c, MHD_HTTP_HEADER_HOST);
	snprintf(host_name, sizeof(host_name), "%s", host ? host : "localhost");
	if (host_name[0] != '[' && strchr(host_name, ':') != NULL)
		*strchr(host_name, ':') = '\0';
	if (r->conn != NULL && r->conn->saddr[0] == '\0' &&
	    r->conn->fd >= 0 &&
	    getsockname(r->conn->fd, (struct sockaddr *)&ss, &sl) == 0) {
		struct conn *cn = r->conn;

		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *in = (void *)&ss;

			inet_ntop(AF_INET, &in->sin_addr, cn->saddr,
			    sizeof(cn->saddr));
			snprintf(cn->sport, sizeof(cn->sport), "%u",
			    ntohs(in->sin_port));
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *in6 = (void *)&ss;

			inet_ntop(AF_INET6, &in6->sin6_addr, cn->saddr,
			    sizeof(cn->saddr));
			snprintf(cn->sport, sizeof(cn->sport), "%u",
			    ntohs(in6->sin6_port));
		}
	}
	if (r->conn != NULL) {
		snprintf(saddr, sizeof(saddr), "%s", r->conn->saddr);
		snprintf(sport, sizeof(sport), "%s", r->conn->sport);
	}
	rc |= http_param(fr, "GATEWAY_INTERFACE", "CGI/1.1");
	rc |= http_param(fr, "SERVER_SOFTWARE", "foobar-webd/" FOOBAR_VERSION);
	rc |= http_param(fr, "SERVER_PROTOCOL", r->version);
	rc |= http_param(fr, "SERVER_NAME", host_name);
	rc |= http_param(fr, "SERVER_ADDR", saddr);
	rc |= http_param(fr, "SERVER_PORT", sport);
	rc |= http_param(fr, "REQUEST_SCHEME", r->conn != NULL &&
	    r->conn->tls ? "https" : "http");
	if (r->conn != NULL && r->conn->tls)
		rc |= http_param(fr, "HTTPS", "on");
	rc |= http_param(fr, "REQUEST_METHOD", r->method);
	rc |= http_param(fr, "REQUEST_URI", r->uri);
	rc |= http_param(fr, "DOCUMENT_URI", abs);
	rc |= http_param(fr, "DOCUMENT_ROOT", s->rootpath);
	rc |= http_param(fr, "SCRIPT_NAME", script);
	rc |= http_param(fr, "SCRIPT_FILENAME", file);
	rc |= http_param(fr, "PATH_INFO", abs + n);
	rc |= http_param(fr, "QUERY_STRING", q ? q + 1 : "");
	rc |= http_param(fr, "REMOTE_ADDR", r->addr);
	snprintf(num, sizeof(num), "%u", r->conn ? r->conn->port : 0);
	rc |= http_param(fr, "REMOTE_PORT", num);
	rc |= http_param(fr, "REDIRECT_STATUS", "200");
	if (http_header(c, MHD_HTTP_HEADER_CONTENT_TYPE) != NULL)
		rc |= http_param(fr, "CONTENT_TYPE",
		    http_header(c, MHD_HTTP_HEADER_CONTENT_TYPE));
	if (clen >= 0) {
		snprintf(num, sizeof(num), "%lld", clen);
		rc |= http_param(fr, "CONTENT_LENGTH", num);
	}
	if (http_param_headers(c, fr) == -1)
		rc = -1;
	return rc ? -1 : 0;
}

/* First call of a forwarded request: the parameters, and the start when
 * the body length is known. */
static enum MHD_Result
http_fwd_begin(struct server *s, struct MHD_Connection *c, struct req *r,
    const struct webd_location *loc, const char *abs, long long clen)
{
	struct fwd_hooks hooks = { http_suspend, http_resume, r };
	struct loop *l = http_loop;

	r->fr = fwd_new(l->fwd, loc, (size_t)s->cf->body_buffer_size,
	    s->cf->body_temp_path, &hooks);
	if (r->fr == NULL)
		return http_error(s, c, r, 500, 1);
	r->mc = c;
	r->loop = l;
	r->fnext = l->fwds;
	if (l->fwds != NULL)
		l->fwds->fprev = r;
	l->fwds = r;
	if (http_fwd_params(s, c, r, abs, clen) == -1)
		return http_error(s, c, r, 500, 1);
	if (clen == 0)		/* else once the whole body is here */
		fwd_start(r->fr, __atomic_fetch_add(&s->rr, 1,
		    __ATOMIC_RELAXED));
	return MHD_YES;
}

static ssize_t
http_fwd_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct req *r = cls;
	long n = fwd_read(r->fr, buf, max);

	http_moved();
	if (n > 0) {
		r->bytes += (unsigned long long)n;
		return n;
	}
	if (n == 0)
		return 0;	/* suspended until more comes */
	return n == -1 ? MHD_CONTENT_READER_END_OF_STREAM :
	    MHD_CONTENT_READER_END_WITH_ERROR;
}

/* Headers a backend may not set: framing is ours. */
static int
http_hop_header(const char *name, size_t n)
{
	static const char *const hop[] = { "Content-Length", "Connection",
		"Transfer-Encoding", "Keep-Alive", "Date", "Status", NULL };
	size_t i;

	for (i = 0; hop[i] != NULL; i++)
		if (strlen(hop[i]) == n && strncasecmp(name, hop[i], n) == 0)
			return 1;
	return 0;
}

struct http_cgi_meta {
	unsigned status;
	int has_status, location;
	uint64_t size;
};

static void
http_cgi_meta(void *arg, const char *name, const char *value)
{
	struct http_cgi_meta *m = arg;

	if (strcasecmp(name, "Status") == 0) {
		unsigned st = (unsigned)strtoul(value, NULL, 10);

		if (st >= 100 && st <= 999) {
			m->status = st;
			m->has_status = 1;
		}
	} else if (strcasecmp(name, "Content-Length") == 0) {
		char *e;
		unsigned long long cl = strtoull(value, &e, 10);

		if (*e == '\0' && e != value && value[0] != '-')
			m->size = cl;
	} else if (strcasecmp(name, "Location") == 0) {
		m->location = 1;
	}
}

static void
http_cgi_add(void *arg, const char *name, const char *value)
{
	if (!http_hop_header(name, strlen(name)))
		MHD_add_response_header(arg, name, value);
}

/* Queues the streamed response described by the backend's header. */
static enum MHD_Result
http_fwd_respond(struct server *s, struct MHD_Connection *c, struct req *r,
    const char *hdr, size_t hlen)
{
	struct http_cgi_meta m = { 200, 0, 0, MHD_SIZE_UNKNOWN };
	struct MHD_Response *resp;
	const char *body;
	size_t blen;

	cgi_header_each(hdr, hlen, http_cgi_meta, &m);
	if (m.location && !m.has_status)
		m.status = 302;
	if (fwd_whole_body(r->fr, &body, &blen)) {
		/* all there already: one write with a Content-Length */
		resp = MHD_create_response_from_buffer(blen,
		    (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
		if (resp == NULL)
			return MHD_NO;
		cgi_header_each(hdr, hlen, http_cgi_add, resp);
		return http_queue(s, c, r, m.status, resp, blen, 1);
	}
	resp = MHD_create_response_from_callback(m.size, 16 * 1024,
	    http_fwd_reader, r, NULL);
	if (resp == NULL)
		return MHD_NO;
	cgi_header_each(hdr, hlen, http_cgi_add, resp);
	return http_queue(s, c, r, m.status, resp, 0, 1);
}

/* Final call of a forwarded request: the body is all here; send it, and
 * wait for the header. */
static enum MHD_Result
http_fwd_answer(struct server *s, struct MHD_Connection *c, struct req *r)
{
	const char *hdr;
	size_t hlen;
	unsigned status;
	int v;

	if (!fwd_started(r->fr)) {
		if (r->chunked) {	/* the length is known now */
			char num[32];

			snprintf(num, sizeof(num), "%lld",
			    fwd_body_len(r->fr));
			if (http_param(r->fr, "CONTENT_LENGTH", num) == -1)
				return http_error(s, c, r, 500, 1);
		}
		fwd_start(r->fr, __atomic_fetch_add(&s->rr, 1,
		    __ATOMIC_RELAXED));
	}
	v = fwd_headers(r->fr, &status, &hdr, &hlen);
	if (v == 0)
		return MHD_YES;		/* suspended */
	if (v == -1) {
		metrics_fcgi_error(http_metrics(), fwd_last_backend(r->fr),
		    status);
		return http_error_retry(s, c, r, status, 0,
		    status == 503 ? "1" : NULL);
	}
	return http_fwd_respond(s, c, r, hdr, hlen);
}

/* --- strict reading: strict.c on the bytes the client sent --- */

/* libmicrohttpd 0.9.75 parses the header block in place, in one piece of
 * its memory pool (from the method to the end of the empty line,
 * MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE bytes): it writes NUL over the
 * SP after the method and before the version, over each colon and over
 * each CR LF or LF, and hands out the method, target, version, names and
 * values as pointers into it. http_strict() copies the block and puts
 * those bytes back, the target from the copy the URI log callback kept,
 * so that strict_check() reads what was sent. A field that is not in
 * place (MHD moves the name of a field continued by obs-fold) is refused.
 * Left ambiguous: a NUL just before a bare LF reads as CR LF. */
struct http_block {
	char *b;		/* the copy */
	const char *base;	/* MHD's block */
	size_t len;
	size_t end;		/* end of the last line's content */
	const char *bad;
};

/* The line ending from k->end up to off, the next line's start. */
static void
http_block_eol(struct http_block *k, size_t off)
{
	char *e = k->b + k->end;

	if (off == k->end + 2 && e[0] == '\0' && e[1] == '\0')
		memcpy(e, "\r\n", 2);
	else if (off == k->end + 1 && e[0] == '\0')
		e[0] = '\n';
	/* else anything left as NUL is refused by strict_check() */
}

static enum MHD_Result
http_block_field(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t klen, const char *value, size_t vlen)
{
	struct http_block *k = cls;
	const char *lim = k->base + k->len;

	if (kind != MHD_HEADER_KIND)
		return MHD_YES;
	if (key < k->base + k->end || key + klen >= lim || value == NULL ||
	    value <= key + klen || value + vlen > lim) {
		k->bad = "obs-fold";
		return MHD_NO;
	}
	http_block_eol(k, (size_t)(key - k->base));
	if (k->b[key - k->base + (long)klen] == '\0')
		k->b[key - k->base + (long)klen] = ':';
	k->end = (size_t)(value - k->base) + vlen;
	return MHD_YES;
}

/* The last line's ending and the empty line: two to four NULs. */
static void
http_block_tail(struct http_block *k)
{
	static const char *const tail[] = { "\n\n", "\r\n\n", "\r\n\r\n" };
	size_t n = k->len - k->end, i;
	char *e = k->b + k->end;

	if (n < 2 || n > 4)
		return;
	for (i = 0; i < n; i++)
		if (e[i] != '\0')
			return;
	memcpy(e, tail[n - 2], n);
}

/* Rebuilds the block into k->b (k->len bytes). -1 with k->bad. */
static int
http_block_rebuild(struct http_block *k, struct MHD_Connection *c,
    const char *uri, const char *url, const char *version)
{
	size_t ml = strlen(k->base), tl = strlen(uri), uo, vo;

	memcpy(k->b, k->base, k->len);
	k->bad = "request line not in place";
	if (url <= k->base || version <= url || version + 8 > k->base + k->len)
		return -1;
	uo = (size_t)(url - k->base);
	vo = (size_t)(version - k->base);
	if (uo <= ml)
		return -1;
	if (uo + tl + 1 != vo) {
		k->bad = "NUL in request target";
		return -1;
	}
	k->b[ml] = ' ';
	memcpy(k->b + uo, uri, tl);
	k->b[vo - 1] = ' ';
	k->end = vo + strlen(version);
	k->bad = NULL;
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, http_block_field, k);
	if (k->bad != NULL)
		return -1;
	/* the last line's ending and the empty line */
	http_block_tail(k);
	return 0;
}

/* 0 when the request may be read; else the status to refuse it with. */
static unsigned
http_strict(struct server *s, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method, const char *version)
{
	const union MHD_ConnectionInfo *ci;
	struct http_block k = { .base = method };
	char small[8192];
	const char *why = "";
	int status = 400;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci == NULL || r->uri == NULL)
		return 500;
	k.len = ci->header_size;
	k.b = k.len <= sizeof(small) ? small : malloc(k.len);
	if (k.b == NULL)
		return 500;
	if (http_block_rebuild(&k, c, r->uri, url, version) == -1)
		why = k.bad;
	else
		status = strict_check(k.b, k.len, &why);
	if (k.b != small)
		free(k.b);
	if (status == 0)
		return 0;
	__atomic_add_fetch(&s->requests_refused, 1, __ATOMIC_RELAXED);
	log_notice("%s: request refused: %s, closing",
	    r->conn != NULL ? r->conn->addr : "-", why);
	return (unsigned)status;
}

static enum MHD_Result
http_trailer_field(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t klen, const char *value, size_t vlen)
{
	const char **why = cls;

	if (value == NULL)
		value = "";
	return strict_trailer(key, klen, value, vlen, why) == -1 ? MHD_NO :
	    MHD_YES;
}

/* Last call: the trailer fields of a chunked body, read before the body
 * goes to a backend (fwd.c holds a chunked body until its end). 0, or
 * -1 when the request is refused. */
static int
http_strict_trailer(struct server *s, struct MHD_Connection *c,
    struct req *r)
{
	const char *why = NULL;

	MHD_get_connection_values_n(c, MHD_FOOTER_KIND, http_trailer_field,
	    &why);
	if (why == NULL)
		return 0;
	__atomic_add_fetch(&s->requests_refused, 1, __ATOMIC_RELAXED);
	log_notice("%s: request refused: %s, closing",
	    r->conn != NULL ? r->conn->addr : "-", why);
	return -1;
}

/* --- routing --- */

static enum MHD_Result
http_last_xff(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	if (strcasecmp(key, "X-Forwarded-For") == 0)
		*(const char **)cls = value;
	return MHD_YES;
}

/* The client's address: the peer's, or from a trusted proxy the last
 * address of the last X-Forwarded-For header (the one it added). */
static void
http_client_addr(struct server *s, struct MHD_Connection *c, struct req *r)
{
	const char *xff = NULL;

	snprintf(r->addr, sizeof(r->addr), "%s", r->conn ? r->conn->addr : "");
	if (r->conn == NULL || s->cf->trusted_proxy.n == 0 ||
	    !realip_trusted(&s->cf->trusted_proxy, r->conn->addr))
		return;
	MHD_get_connection_values(c, MHD_HEADER_KIND, http_last_xff, &xff);
	if (xff != NULL)
		(void)realip_last(xff, r->addr, sizeof(r->addr));
}

/* The metrics label of loc (NULL: static files). */
static unsigned
http_metrics_loc(const struct server *s, const struct webd_location *loc)
{
	size_t i;

	if (s->mloc == NULL)
		return 0;
	for (i = 0; loc != NULL && i < s->cf->nlocations; i++)
		if (s->cf->locations[i] == loc)
			return s->mloc[i + 1];
	return s->mloc[0];
}

/* redirect_https: 301 to the same target on https. */
static enum MHD_Result
http_redirect_https(struct server *s, struct MHD_Connection *c,
    struct req *r, int close)
{
	struct MHD_Response *resp;
	char url[WEBD_PATH_MAX * 3 + 600];

	if (redirect_https_url(url, sizeof(url), http_header(c,
	    MHD_HTTP_HEADER_HOST), s->https_port, r->uri) == -1)
		return http_error(s, c, r, 400, close);
	resp = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, url);
	if (close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	return http_queue(s, c, r, 301, resp, 0, 1);
}

/* First call: the header is complete. Refuses bodies that are too large
 * or framed in ways we do not read, and starts forwarded requests. */
static enum MHD_Result
http_begin(struct server *s, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method, const char *version)
{
	const union MHD_ConnectionInfo *ci;
	const struct webd_location *loc;
	const char *te, *cl, *q, *err;
	char rel[WEBD_PATH_MAX], abs[WEBD_PATH_MAX + 2];
	long long clen = 0;
	int dir;
	unsigned refuse;

	r->started = 1;
	r->mloc = s->mloc != NULL ? s->mloc[0] : 0;
	if (r->conn != NULL) {
		http_set_deadline(r->conn, 0);
		http_mstate(r->conn, WM_WRITING);
	}
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->version, sizeof(r->version), "%s", version);
	if ((refuse = http_strict(s, c, r, url, method, version)) != 0)
		return http_error(s, c, r, refuse, 1);
	http_client_addr(s, c, r);
	/* MHD answers 431 itself for what does not fit its memory pool;
	 * this makes the limit exact. */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (ci != NULL && ci->header_size > (size_t)s->cf->max_header_size)
		return http_error(s, c, r, 431, 1);
	te = http_header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	cl = http_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (te != NULL && strcasecmp(te, "chunked") != 0)
		return http_error(s, c, r, 501, 1);
	if (te != NULL && cl != NULL)
		return http_error(s, c, r, 400, 1);
	if (cl != NULL) {
		char *end;

		errno = 0;
		clen = strtoll(cl, &end, 10);
		if (errno != 0 || end == cl || *end != '\0' || clen < 0)
			return http_error(s, c, r, 400, 1);
		if (clen > s->cf->max_body)
			return http_error(s, c, r, 413, 1);
	}
	/* libmicrohttpd reads the chunk lines where http_strict() cannot
	 * see them: whatever a front made of them, nothing after a chunked
	 * body is ever read as a request. */
	if (te != NULL) {
		clen = -1;
		r->chunked = 1;
	}
	if (clen != 0)
		http_body_watch(s, r);
	q = strchr(r->uri, '?');
	if (path_normalize(r->uri, q ? (size_t)(q - r->uri) : strlen(r->uri),
	    rel, sizeof(rel), &dir, &err) == -1) {
		r->bad_path = 1;	/* answered on the last call */
		return MHD_YES;
	}
	snprintf(abs, sizeof(abs), "/%s%s", rel, dir && rel[0] ? "/" : "");
	r->acme = s->cf->acme_root[0] == '/' && redirect_is_acme(abs);
	if (r->acme)
		return MHD_YES;	/* a static file, on any listener */
	if (s->cf->redirect_https && (r->conn == NULL || !r->conn->tls)) {
		/* answered on the last call, which keeps the connection;
		 * at once, closing it, when a body would have to be read */
		r->redirect = 1;
		return clen != 0 ? http_redirect_https(s, c, r, 1) : MHD_YES;
	}
	loc = config_route(s->cf, abs);
	r->mloc = http_metrics_loc(s, loc);
	if (loc != NULL && loc->fastcgi_pass.n > 0) {
		/* Down for maintenance (foobar-backup restore): no backend
		 * is asked; a body is not read, so the connection closes. */
		if (s->cf->maintenance_file[0] == '/' &&
		    access(s->cf->maintenance_file, F_OK) == 0)
			return http_error_retry(s, c, r, 503, clen != 0,
			    HTTP_MAINTENANCE_RETRY);
		return http_fwd_begin(s, c, r, loc, abs, clen);
	}
	return MHD_YES;
}

/* Last call of a static request. */
static enum MHD_Result
http_route(struct server *s, struct MHD_Connection *c, struct req *r)
{
	char rel[WEBD_PATH_MAX];
	const char *q, *err;
	int dir;

	if (r->bad_path)
		return http_error(s, c, r, 400, 0);
	if (r->redirect)
		return http_redirect_https(s, c, r, 0);
	q = strchr(r->uri, '?');
	if (path_normalize(r->uri, q ? (size_t)(q - r->uri) : strlen(r->uri),
	    rel, sizeof(rel), &dir, &err) == -1)
		return http_error(s, c, r, 400, 0);
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return http_error(s, c, r, 405, 0);
	return static_serve(s, c, r, rel, dir);
}

static enum MHD_Result
http_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct server *s = cls;
	struct req *r = *req_cls;

	http_moved();
	if (r == NULL)
		return MHD_NO;
	if (!r->started)
		return http_begin(s, c, r, url, method, version);
	if (*upload_data_size > 0)
		return http_body_data(s, r, upload_data, upload_data_size);
	if (r->aborted)
		return MHD_NO;	/* answered already: close */
	http_body_unwatch(r);
	if (r->status != 0)
		return MHD_YES;
	if (http_strict_trailer(s, c, r) == -1)
		return http_error(s, c, r, 400, 1);
	if (r->too_big)
		return http_error(s, c, r, 413, 1);
	if (r->conn != NULL && r->conn->tls_in.corked) {
		http_flush_wait(s, c, r);
		return MHD_YES;
	}
	if (r->fr != NULL)
		return http_fwd_answer(s, c, r);
	return http_route(s, c, r);
}

/* The path is decoded once, by path_normalize(): MHD must not. */
static size_t
http_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

/* The format libmicrohttpd 0.9.75 logs each error it answers itself with
 * (connection.c, transmit_error_response_len()): a refusal too. */
#define HTTP_MHD_REFUSAL "Error processing request (HTTP response code is %u"

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *s = cls;
	char msg[512];
	size_t n;

	if (strncmp(fmt, HTTP_MHD_REFUSAL, strlen(HTTP_MHD_REFUSAL)) == 0) {
		va_list aq;

		va_copy(aq, ap);
		__atomic_add_fetch(&s->requests_refused, 1, __ATOMIC_RELAXED);
		log_notice("request refused by libmicrohttpd with %u, closing",
		    va_arg(aq, unsigned));
		va_end(aq);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/* --- servers --- */

/* 1 when dir (the value of key) is a directory; else 0 with a message. */
static int
http_check_dir(const struct webd_config *cf, const char *key,
    const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s %s: %s", cf->path, key, dir,
		    strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s %s: not a directory", cf->path,
		    key, dir);
		return 0;
	}
	return 1;
}

int
server_check_root(const struct webd_config *cf, char *err, size_t errlen)
{
	return http_check_dir(cf, "root", cf->root, err, errlen) &&
	    http_check_dir(cf, "body_temp_path", cf->body_temp_path, err,
	    errlen);
}

struct MHD_Daemon *
http_daemon(struct server *s, int fd, int tls, unsigned limit)
{
	struct webd_config *cf = s->cf;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_TURBO | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0);
	/* MHD zeroes the whole pool after each request, so every kept-alive
	 * connection costs its full size in memory: the header plus room
	 * for the parsed fields and the response header. */
	size_t mem = (size_t)cf->max_header_size + 2048;

	return MHD_start_daemon(flags, 0, NULL, NULL, http_handler, s,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, limit,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)((cf->keepalive_timeout + 999) / 1000),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
	    MHD_OPTION_URI_LOG_CALLBACK, http_uri_log, s,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, http_notify, s,
	    MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, s,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, s,
	    /* Not MHD_OPTION_STRICT_FOR_CLIENT 1: http_strict() checks
	     * more, and 0.9.75 then writes its 400 for a missing Host
	     * with its header lines twice. */
	    tls ? MHD_OPTION_HTTPS_PRIORITIES : MHD_OPTION_END,
	    tls_priorities(),
	    MHD_OPTION_HTTPS_CERT_CALLBACK, tls_cert_callback(),
	    MHD_OPTION_END);
}

/* The port of the first HTTPS socket, where redirect_https sends. */
static unsigned
server_https_port(const struct server_socket *socks, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&ss, 0, sizeof(ss));
		sl = sizeof(ss);
		if (!socks[i].tls ||
		    getsockname(socks[i].fd, (struct sockaddr *)&ss, &sl) == -1)
			continue;
		if (ss.ss_family == AF_INET)
			return ntohs(((struct sockaddr_in *)&ss)->sin_port);
		if (ss.ss_family == AF_INET6)
			return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 443;
}

/* acme_root, when set and there: a missing one answers 404. */
static void
server_acme_root(struct server *s)
{
	const char *dir = s->cf->acme_root;

	s->acmefd = -1;
	if (dir[0] != '/')
		return;
	s->acmefd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->acmefd == -1 || realpath(dir, s->acmepath) == NULL) {
		log_info("acme_root %s: %s", dir, strerror(errno));
		if (s->acmefd >= 0)
			close(s->acmefd);
		s->acmefd = -1;
	}
}

struct server *
server_start(struct webd_config *cf, struct accesslog *al,
    struct tls_ctx *tls, const struct server_socket *fds, size_t nfds,
    char *err, size_t errlen)
{
	struct server *s = calloc(1, sizeof(*s));
	const struct webd_tls *td = config_tls_default(cf);
	unsigned threads, limit;
	size_t i;

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		config_free(cf);
		accesslog_close(al);
		tls_free(tls);
		return NULL;
	}
	s->cf = cf;
	s->al = al;
	s->tls = tls;
	s->rootfd = -1;
	server_acme_root(s);
	s->https_port = server_https_port(fds, nfds);
	if (td != NULL && td->hsts > 0)
		snprintf(s->hsts, sizeof(s->hsts), "max-age=%lld", td->hsts);
	for (i = 0; i < nfds; i++) {
		if (fds[i].tls && tls_count(tls) == 0) {
			snprintf(err, errlen, "an HTTPS socket needs a [tls] "
			    "section with certificate and key");
			goto fail;
		}
	}
	pthread_mutex_init(&s->lock, NULL);
	s->rootfd = open(cf->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd == -1 || realpath(cf->root, s->rootpath) == NULL) {
		snprintf(err, errlen, "root %s: %s", cf->root,
		    strerror(errno));
		goto fail;
	}
	if (cf->cache_size > 0 &&
	    (s->cache = cache_new((size_t)cf->cache_size, static_resp_free)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((s->mloc = calloc(cf->nlocations + 1, sizeof(*s->mloc))) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->mloc[0] = metrics_location(NULL);
	for (i = 0; i < cf->nlocations; i++) {
		const struct conf_list *pass = &cf->locations[i]->fastcgi_pass;
		size_t j;

		s->mloc[i + 1] = metrics_location(cf->locations[i]->prefix);
		for (j = 0; j < pass->n; j++)
			metrics_backend(pass->v[j]);
	}
	threads = cf->threads > 0 ? (unsigned)cf->threads :
	    (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	/* max_connections is shared by every daemon: a listening socket
	 * has one in each thread */
	limit = (unsigned)(cf->max_connections /
	    (long long)((nfds ? nfds : 1) * threads));
	if (limit < 1)
		limit = 1;
	s->loops = calloc(threads, sizeof(*s->loops));
	if (s->loops == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < threads; i++) {
		s->loops[i].epfd = s->loops[i].evfd = -1;
		s->nloops++;
		if (loop_init(&s->loops[i], s, fds, nfds, threads, limit,
		    err, errlen) == -1)
			goto fail;
	}
	for (i = 0; i < s->nloops; i++) {
		struct loop *l = &s->loops[i];
		int e = pthread_create(&l->thread, NULL, loop_main, l);

		if (e != 0) {
			snprintf(err, errlen, "thread: %s", strerror(e));
			goto fail;
		}
		l->started = 1;
	}
	return s;
fail:
	server_stop(s);
	return NULL;
}

void
server_quiesce(struct server *s, int close_idle)
{
	size_t i;

	__atomic_store_n(&s->draining, 1, __ATOMIC_RELAXED);
	if (close_idle)
		__atomic_store_n(&s->close_idle, 1, __ATOMIC_RELAXED);
	for (i = 0; i < s->nloops; i++)
		if (!(__atomic_load_n(&s->loops[i].cmd, __ATOMIC_RELAXED) &
		    LOOP_QUIESCE))
			loop_post(&s->loops[i], LOOP_QUIESCE);
}

void
server_stop(struct server *s)
{
	struct ipcount *e;
	size_t i;

	if (s == NULL)
		return;
	__atomic_store_n(&s->draining, 1, __ATOMIC_RELAXED);
	for (i = 0; i < s->nloops; i++)
		loop_free(&s->loops[i]);
	free(s->loops);
	for (i = 0; i < HTTP_IP_BUCKETS; i++)
		while ((e = s->ips[i]) != NULL) {
			s->ips[i] = e->next;
			free(e);
		}
	cache_free(s->cache);
	free(s->mloc);
	if (s->rootfd >= 0)
		close(s->rootfd);
	if (s->acmefd >= 0)
		close(s->acmefd);
	tls_free(s->tls);
	config_free(s->cf);
	accesslog_close(s->al);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* --- the /metrics listener: its own daemon and thread, so that a scrape
 * never waits behind the loops --- */

struct metrics_server {
	struct MHD_Daemon *d;
};

static enum MHD_Result
http_metrics_answer(struct MHD_Connection *c, unsigned status,
    const char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(strlen(body),
	    (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	if (status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    "GET, HEAD");
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
http_metrics_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	size_t len;
	char *text;

	if (*upload_data_size > 0) {
		*upload_data_size = 0;	/* a body: dropped */
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return http_metrics_answer(c, 404, "not found\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return http_metrics_answer(c, 405, "method not allowed\n");
	if ((text = metrics_render(&len)) == NULL)
		return http_metrics_answer(c, 500, "out of memory\n");
	resp = MHD_create_response_from_buffer_with_free_callback(len, text,
	    free);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    PROM_CONTENT_TYPE);
	rc = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return rc;
}

struct metrics_server *
server_metrics_start(int fd, char *err, size_t errlen)
{
	struct metrics_server *ms = calloc(1, sizeof(*ms));

	if (ms == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	ms->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    http_metrics_handler, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, 64U,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30U,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
	    MHD_OPTION_END);
	if (ms->d == NULL) {
		snprintf(err, errlen, "metrics: libmicrohttpd did not start");
		close(fd);
		free(ms);
		return NULL;
	}
	return ms;
}

void
server_metrics_stop(struct metrics_server *ms)
{
	if (ms == NULL)
		return;
	MHD_stop_daemon(ms->d);	/* closes the listening socket */
	free(ms);
}
