/* fwd.c - FastCGI forwarding, the client side. Each HTTP loop thread has
 * its own fwd_loop: its backend connections (pooled with FCGI_KEEP_CONN)
 * sit in the thread's epoll set next to libmicrohttpd's, so a request is
 * written, answered and sent back by one thread, without locks or
 * wake-ups between threads. A request body is held whole (body.c) before
 * the backend is contacted, so that a slow client never keeps a backend
 * waiting; response bytes pass through a bounded buffer. The HTTP side
 * suspends its connection while it waits, and fwd resumes it. Everything
 * here runs on the loop's thread. */
#include "webd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgihead.h"
#include "fcgi.h"
#include "log.h"
#include "sd.h"

#define FWD_IN_MAX (64 * 1024)	/* request body encoded ahead of the socket */
#define FWD_BODY_CHUNK 32768	/* request body read from its file at once */
#define FWD_OUT_MAX (64 * 1024)	/* response bytes buffered towards a client */
#define FWD_HDR_MAX 16384	/* response header from a backend */
#define FWD_POOL_IDLE_MS 60000
#define FWD_READ_CHUNK 65536

enum fwd_state {
	FR_NEW,		/* params being added */
	FR_STARTED,	/* sent, or being sent, to a backend */
	FR_HEADERS,	/* response header complete */
	FR_FAILED	/* error_status says what to answer */
};

struct fwd_backend;

struct fwd_conn {
	struct webd_ev ev;	/* first: epoll's data.ptr */
	struct fwd_loop *loop;
	int fd;
	struct fwd_backend *be;
	struct fwd_req *fr;	/* NULL while idle in the pool */
	struct fcgi_parser p;
	unsigned char *w;	/* bytes to write */
	size_t wlen, woff, wcap;
	int connecting;
	int reused;
	int reading;		/* EPOLLIN wanted */
	int writing;		/* EPOLLOUT wanted */
	int stdin_done;		/* the empty STDIN record is queued */
	unsigned evmask;	/* events registered with epoll */
	int got_bytes;		/* a response byte arrived */
	int dead;		/* closed; freed at the end of the batch */
	long long deadline;	/* connect or read deadline; pool expiry */
	struct fwd_conn *next, *prev;	/* active list or pool */
};

struct fwd_backend {
	char addr[256];
	struct fwd_conn *idle;
	unsigned nidle;
	struct fwd_backend *next;
};

struct fwd_loop {
	int epfd;
	unsigned nloops;	/* the threads sharing fastcgi_keepalive */
	struct fwd_backend *backends;
	struct fwd_conn *active;
	struct fwd_conn *grave;		/* closed, to free after the batch */
	unsigned char buf[FWD_READ_CHUNK];
	unsigned char body_buf[FWD_BODY_CHUNK];
};

struct fwd_req {
	struct fwd_loop *loop;
	int refs;		/* the HTTP side, and the connection */
	struct fwd_hooks hooks;
	const struct webd_location *loc;	/* backends, timeouts, pool */
	size_t next_backend;
	size_t tries;
	const char *backend;	/* the last one tried (loc's string) */
	int retried;		/* no pooled connection any more */
	unsigned char *params;
	size_t plen, pcap;
	size_t body_mem;	/* body_buffer_size */
	const char *body_dir;	/* body_temp_path */
	struct body *body;	/* NULL: none */
	long long in_off;	/* body bytes encoded for the backend */
	int in_any;		/* body bytes went to a backend */
	int state;
	unsigned error_status;
	int waiting;		/* the HTTP side is suspended */
	char *hdr;		/* FWD_HDR_MAX + 1 bytes once needed */
	size_t hlen;
	unsigned char *out;
	size_t out_len, out_off, out_cap;
	int out_end, out_err;
	int paused;		/* stopped reading: out full */
	int gone;		/* the HTTP side let go */
	struct fwd_conn *conn;
	char stderr_line[512];
	size_t stderr_len;
};

static long long
fwd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- requests, both sides --- */

static void
fwd_unref(struct fwd_req *fr)
{
	if (--fr->refs > 0)
		return;
	free(fr->params);
	body_free(fr->body);
	free(fr->out);
	free(fr->hdr);
	free(fr);
}

/* Lets a suspended HTTP side go on. */
static void
fwd_wake(struct fwd_req *fr)
{
	if (fr->waiting && !fr->gone) {
		fr->waiting = 0;
		fr->hooks.resume(fr->hooks.arg);
	}
}

/* Suspends the HTTP side until fwd_wake(); the last thing the HTTP side's
 * call does. */
static void
fwd_wait(struct fwd_req *fr)
{
	fr->waiting = 1;
	fr->hooks.suspend(fr->hooks.arg);
}

/* Ends the request with status before its response header; after it,
 * the response is cut short. */
static void
fwd_set_failed(struct fwd_req *fr, unsigned status)
{
	if (fr->state != FR_HEADERS) {
		fr->state = FR_FAILED;
		fr->error_status = status;
	}
	fr->out_err = 1;
	fwd_wake(fr);
}

static void fwd_connect(struct fwd_req *fr);
static int fwd_flush(struct fwd_conn *cn);
static void fwd_finish(struct fwd_conn *cn, int reuse);
static void fwd_epoll(struct fwd_conn *cn, int add);

struct fwd_loop *
fwd_loop_new(int epfd, unsigned nloops)
{
	struct fwd_loop *fl = calloc(1, sizeof(*fl));

	if (fl != NULL) {
		fl->epfd = epfd;
		fl->nloops = nloops > 0 ? nloops : 1;
	}
	return fl;
}

struct fwd_req *
fwd_new(struct fwd_loop *fl, const struct webd_location *loc,
    size_t body_mem, const char *body_dir, const struct fwd_hooks *hooks)
{
	struct fwd_req *fr;

	if (fl == NULL || loc->fastcgi_pass.n == 0)
		return NULL;
	fr = calloc(1, sizeof(*fr));
	if (fr == NULL)
		return NULL;
	fr->loop = fl;
	fr->refs = 1;
	fr->hooks = *hooks;
	fr->body_mem = body_mem;
	fr->body_dir = body_dir;
	fr->loc = loc;
	return fr;
}

int
fwd_param(struct fwd_req *fr, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	size_t need = fcgi_nv_size(nlen, vlen);

	if (fr->plen + need > fr->pcap) {
		size_t cap = fr->pcap ? fr->pcap * 2 : 2048;
		unsigned char *p;

		while (cap < fr->plen + need)
			cap *= 2;
		if ((p = realloc(fr->params, cap)) == NULL)
			return -1;
		fr->params = p;
		fr->pcap = cap;
	}
	fr->plen += fcgi_nv_encode(fr->params + fr->plen, fr->pcap - fr->plen,
	    name, nlen, value, vlen);
	return 0;
}

void
fwd_start(struct fwd_req *fr, unsigned rr)
{
	fr->next_backend = rr % fr->loc->fastcgi_pass.n;
	fr->state = FR_STARTED;
	fwd_connect(fr);
}

int
fwd_started(struct fwd_req *fr)
{
	return fr->state != FR_NEW;
}

const char *
fwd_last_backend(struct fwd_req *fr)
{
	return fr->backend;
}

int
fwd_body(struct fwd_req *fr, const char *data, size_t len)
{
	if (fr->body == NULL &&
	    (fr->body = body_new(fr->body_mem, fr->body_dir)) == NULL)
		return -1;
	return body_append(fr->body, data, len);
}

long long
fwd_body_len(struct fwd_req *fr)
{
	return fr->body != NULL ? body_size(fr->body) : 0;
}

int
fwd_headers(struct fwd_req *fr, unsigned *status, const char **hdr,
    size_t *hlen)
{
	if (fr->state == FR_FAILED) {
		*status = fr->error_status;
		return -1;
	}
	if (fr->state == FR_HEADERS) {
		*hdr = fr->hdr;
		*hlen = fr->hlen;
		return 1;
	}
	fwd_wait(fr);
	return 0;
}

int
fwd_whole_body(struct fwd_req *fr, const char **data, size_t *len)
{
	if (!fr->out_end || fr->out_err)
		return 0;
	*data = (const char *)fr->out + fr->out_off;
	*len = fr->out_len - fr->out_off;
	return 1;
}

long
fwd_read(struct fwd_req *fr, char *buf, size_t max)
{
	size_t n = fr->out_len - fr->out_off;

	if (n > 0) {
		if (n > max)
			n = max;
		memcpy(buf, fr->out + fr->out_off, n);
		fr->out_off += n;
		if (fr->out_off == fr->out_len)
			fr->out_off = fr->out_len = 0;
		if (fr->paused && fr->out_len - fr->out_off < FWD_OUT_MAX / 2) {
			/* read again: epoll says so while bytes wait */
			fr->paused = 0;
			if (fr->conn != NULL) {
				fr->conn->reading = 1;
				fwd_epoll(fr->conn, 0);
			}
		}
		return (long)n;
	}
	if (fr->out_err)
		return -2;
	if (fr->out_end)
		return -1;
	fwd_wait(fr);
	return 0;
}

void
fwd_release(struct fwd_req *fr)
{
	if (fr == NULL)
		return;
	fr->gone = 1;
	fr->waiting = 0;
	/* a request still under way loses its connection */
	if (fr->conn != NULL)
		fwd_finish(fr->conn, 0);
	fwd_unref(fr);
}

void
fwd_cancel(struct fwd_req *fr)
{
	fwd_set_failed(fr, 502);
}

/* --- backend connections --- */

static struct fwd_backend *
fwd_backend(struct fwd_loop *fl, const char *addr)
{
	struct fwd_backend *be;

	for (be = fl->backends; be != NULL; be = be->next)
		if (strcmp(be->addr, addr) == 0)
			return be;
	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return NULL;
	snprintf(be->addr, sizeof(be->addr), "%s", addr);
	be->next = fl->backends;
	fl->backends = be;
	return be;
}

static void
fwd_epoll(struct fwd_conn *cn, int add)
{
	struct epoll_event ev;
	unsigned mask = EPOLLRDHUP |
	    (cn->reading || cn->fr == NULL ? EPOLLIN : 0) |
	    (cn->writing ? EPOLLOUT : 0);

	if (!add && mask == cn->evmask)
		return;		/* no system call for nothing */
	memset(&ev, 0, sizeof(ev));
	ev.events = mask;
	ev.data.ptr = &cn->ev;
	epoll_ctl(cn->loop->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, cn->fd,
	    &ev);
	cn->evmask = mask;
}

static void
fwd_list_remove(struct fwd_conn **head, struct fwd_conn *cn)
{
	if (cn->prev != NULL)
		cn->prev->next = cn->next;
	else
		*head = cn->next;
	if (cn->next != NULL)
		cn->next->prev = cn->prev;
	cn->next = cn->prev = NULL;
}

static void
fwd_list_add(struct fwd_conn **head, struct fwd_conn *cn)
{
	cn->prev = NULL;
	cn->next = *head;
	if (*head != NULL)
		(*head)->prev = cn;
	*head = cn;
}

/* Closes the socket now; the struct is freed after the current batch of
 * events, which may still name it. */
static void
fwd_conn_bury(struct fwd_conn *cn)
{
	struct fwd_loop *fl = cn->loop;

	epoll_ctl(fl->epfd, EPOLL_CTL_DEL, cn->fd, NULL);
	close(cn->fd);
	cn->dead = 1;
	cn->next = fl->grave;
	fl->grave = cn;
}

static void
fwd_conn_close(struct fwd_conn *cn)
{
	if (cn->fr != NULL)
		fwd_list_remove(&cn->loop->active, cn);
	cn->fr = NULL;		/* the caller keeps its own pointer */
	fwd_conn_bury(cn);
}

/* Detaches the request from its connection, which goes back to the pool
 * when clean; the caller drops the connection's reference to fr. */
static void
fwd_detach(struct fwd_conn *cn, int reuse)
{
	struct fwd_req *fr = cn->fr;
	struct fwd_backend *be = cn->be;

	fr->conn = NULL;
	if (reuse && fr->loc->keep_conn && be != NULL &&
	    be->nidle < ((unsigned)fr->loc->keepalive + cn->loop->nloops - 1) /
	    cn->loop->nloops &&
	    cn->woff == cn->wlen && fcgi_parser_idle(&cn->p)) {
		fwd_list_remove(&cn->loop->active, cn);
		cn->fr = NULL;
		cn->reading = cn->writing = 0;
		cn->wlen = cn->woff = 0;
		cn->deadline = fwd_now_ms() + FWD_POOL_IDLE_MS;
		fwd_list_add(&be->idle, cn);
		be->nidle++;
		fwd_epoll(cn, 0);
	} else {
		fwd_conn_close(cn);
	}
}

/* fwd_detach() and the connection's reference dropped. */
static void
fwd_finish(struct fwd_conn *cn, int reuse)
{
	struct fwd_req *fr = cn->fr;

	fwd_detach(cn, reuse);
	fwd_unref(fr);
}

/* The request failed with status (502/503/504) before its response
 * header; after it, the response is cut short. */
static void
fwd_fail(struct fwd_conn *cn, unsigned status, const char *why)
{
	struct fwd_req *fr = cn->fr;

	/* A reused connection that died before any answer: once more on a
	 * fresh one, when the body is still all here. */
	if (cn->reused && !cn->got_bytes && !fr->in_any && !fr->retried &&
	    !fr->gone && status == 502) {
		fr->retried = 1;
		fwd_detach(cn, 0);	/* its reference goes on */
		fr->tries = 0;
		fr->in_off = 0;
		fwd_connect(fr);
		fwd_unref(fr);
		return;
	}
	log_err("fastcgi %s: %s", cn->be ? cn->be->addr : "?", why);
	fwd_set_failed(fr, status);
	fwd_finish(cn, 0);
}

static int
fwd_wreserve(struct fwd_conn *cn, size_t need)
{
	if (cn->wlen + need > cn->wcap) {
		size_t cap = cn->wcap ? cn->wcap : 8192;
		unsigned char *p;

		if (cn->woff > 0) {
			memmove(cn->w, cn->w + cn->woff, cn->wlen - cn->woff);
			cn->wlen -= cn->woff;
			cn->woff = 0;
		}
		while (cap < cn->wlen + need)
			cap *= 2;
		if (cap != cn->wcap) {
			if ((p = realloc(cn->w, cap)) == NULL)
				return -1;
			cn->w = p;
			cn->wcap = cap;
		}
	}
	return 0;
}

/* Moves request body bytes into records, a bounded amount ahead of the
 * socket. Returns 1 when it moved any, 0 when not, -1 on an error. */
static int
fwd_take_body(struct fwd_conn *cn)
{
	struct fwd_req *fr = cn->fr;
	int moved = 0;

	while (fr->body != NULL && cn->wlen - cn->woff < FWD_IN_MAX) {
		const void *d;
		long n = body_get(fr->body, fr->in_off, cn->loop->body_buf,
		    sizeof(cn->loop->body_buf), &d);

		if (n == 0)
			break;
		if (n < 0 || fwd_wreserve(cn, fcgi_stream_size((size_t)n)) ==
		    -1)
			return -1;
		cn->wlen += fcgi_stream_encode(cn->w + cn->wlen,
		    cn->wcap - cn->wlen, FCGI_STDIN, 1, d, (size_t)n);
		fr->in_off += n;
		fr->in_any = 1;
		moved = 1;
	}
	if (fr->in_off == fwd_body_len(fr) && !cn->stdin_done &&
	    fwd_wreserve(cn, FCGI_HEADER_LEN) == 0) {
		cn->wlen += fcgi_record_encode(cn->w + cn->wlen,
		    cn->wcap - cn->wlen, FCGI_STDIN, 1, NULL, 0);
		cn->stdin_done = 1;
		moved = 1;
	}
	return moved;
}

/* Writes what the socket takes, refilling from the request body. Returns
 * 0, or -1 after fwd_fail(). */
static int
fwd_flush(struct fwd_conn *cn)
{
	struct fwd_req *fr = cn->fr;
	int blocked = 0;

	if (cn->connecting)
		return 0;
	if (fwd_take_body(cn) == -1)
		goto body_error;
	while (!blocked) {
		while (cn->woff < cn->wlen) {
			ssize_t n = send(cn->fd, cn->w + cn->woff,
			    cn->wlen - cn->woff, MSG_NOSIGNAL);

			if (n > 0) {
				cn->woff += (size_t)n;
				cn->deadline = fwd_now_ms() + fr->loc->read_timeout;
				continue;
			}
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				blocked = 1;
				break;
			}
			fwd_fail(cn, 502, n == -1 ? strerror(errno) :
			    "write failed");
			return -1;
		}
		if (cn->woff == cn->wlen)
			cn->woff = cn->wlen = 0;
		switch (fwd_take_body(cn)) {
		case -1:
			goto body_error;
		case 0:
			blocked = 1;
			break;
		default:
			break;
		}
	}
	cn->writing = cn->wlen > cn->woff;
	fwd_epoll(cn, 0);
	return 0;
body_error:
	fwd_fail(cn, 500, errno ? strerror(errno) : "request body");
	return -1;
}

/* The connection is up: BEGIN_REQUEST, PARAMS, then the body. */
static void
fwd_send_head(struct fwd_conn *cn)
{
	struct fwd_req *fr = cn->fr;
	size_t need = FCGI_BEGIN_REQUEST_LEN + fcgi_stream_size(fr->plen) +
	    FCGI_HEADER_LEN;

	cn->connecting = 0;
	cn->reading = 1;
	cn->wlen = cn->woff = 0;
	cn->stdin_done = 0;
	cn->got_bytes = 0;
	fcgi_parser_init(&cn->p);
	if (fwd_wreserve(cn, need) == -1) {
		fwd_fail(cn, 502, "out of memory");
		return;
	}
	cn->wlen += fcgi_begin_request_encode(cn->w, 1, FCGI_RESPONDER,
	    fr->loc->keep_conn ? FCGI_KEEP_CONN : 0);
	cn->wlen += fcgi_stream_encode(cn->w + cn->wlen, cn->wcap - cn->wlen,
	    FCGI_PARAMS, 1, fr->params, fr->plen);
	cn->wlen += fcgi_record_encode(cn->w + cn->wlen, cn->wcap - cn->wlen,
	    FCGI_PARAMS, 1, NULL, 0);
	cn->deadline = fwd_now_ms() + fr->loc->read_timeout;
	fwd_flush(cn);
}

/* A pooled connection, or NULL. One the backend closed is normally seen
 * (EPOLLRDHUP) and dropped before; one that dies under a request makes
 * fwd_fail() retry on a fresh connection. */
static struct fwd_conn *
fwd_pool_take(struct fwd_backend *be)
{
	struct fwd_conn *cn = be->idle;

	if (cn == NULL)
		return NULL;
	fwd_list_remove(&be->idle, cn);
	be->nidle--;
	cn->reused = 1;
	return cn;
}

static void fwd_conn_event(struct webd_ev *ev, unsigned events);

/* Connects to the next backend in turn (or takes a pooled connection);
 * tries each backend once before giving up with 502. */
static void
fwd_connect(struct fwd_req *fr)
{
	struct fwd_loop *fl = fr->loop;
	const struct conf_list *pass = &fr->loc->fastcgi_pass;

	while (fr->tries < pass->n) {
		const char *addr = pass->v[(fr->next_backend + fr->tries) %
		    pass->n];
		struct fwd_backend *be = fwd_backend(fl, addr);
		struct sockaddr_storage ss;
		struct fwd_conn *cn;
		socklen_t len;
		char err[256];
		int fd;

		fr->tries++;
		fr->backend = addr;
		if (be == NULL)
			break;
		cn = fr->retried ? NULL : fwd_pool_take(be);
		if (cn != NULL) {
			cn->fr = fr;
			fr->refs++;
			fr->conn = cn;
			fwd_list_add(&fl->active, cn);
			fwd_send_head(cn);
			return;
		}
		if (sdsock_parse(addr, &ss, &len, err, sizeof(err)) == -1) {
			log_err("fastcgi %s: %s", addr, err);
			continue;
		}
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (fd == -1) {
			log_err("fastcgi %s: socket: %s", addr, strerror(errno));
			continue;
		}
		if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
		    errno != EINPROGRESS) {
			log_err("fastcgi %s: connect: %s", addr,
			    strerror(errno));
			close(fd);
			continue;
		}
		cn = calloc(1, sizeof(*cn));
		if (cn == NULL) {
			close(fd);
			break;
		}
		cn->ev.fn = fwd_conn_event;
		cn->loop = fl;
		cn->fd = fd;
		cn->be = be;
		cn->fr = fr;
		fr->refs++;
		fr->conn = cn;
		cn->connecting = 1;
		cn->writing = 1;
		cn->deadline = fwd_now_ms() + fr->loc->connect_timeout;
		fwd_list_add(&fl->active, cn);
		fwd_epoll(cn, 1);
		return;
	}
	fwd_set_failed(fr, 502);
}

/* Collects STDERR into lines for the log. */
static void
fwd_stderr(struct fwd_conn *cn, const unsigned char *d, size_t n)
{
	struct fwd_req *fr = cn->fr;
	size_t i;

	for (i = 0; i <= n; i++) {
		char esc[1024];

		if (i < n && d[i] != '\n' &&
		    fr->stderr_len < sizeof(fr->stderr_line)) {
			fr->stderr_line[fr->stderr_len++] = (char)d[i];
			continue;
		}
		if (i == n && fr->stderr_len < sizeof(fr->stderr_line))
			break;
		log_escape(esc, sizeof(esc), fr->stderr_line, fr->stderr_len);
		log_warn("fastcgi %s stderr: %s", cn->be->addr, esc);
		fr->stderr_len = 0;
		if (i < n && d[i] != '\n')
			fr->stderr_line[fr->stderr_len++] = (char)d[i];
	}
}

/* STDOUT bytes: the header first, then the body.
 * Returns 0, or -1 when the header is too long. */
static int
fwd_stdout(struct fwd_req *fr, const unsigned char *d, size_t n)
{
	if (fr->state != FR_HEADERS) {
		size_t take = n, off;
		char *end;

		if (fr->hdr == NULL &&
		    (fr->hdr = malloc(FWD_HDR_MAX + 1)) == NULL)
			return -1;
		if (fr->hlen + take > FWD_HDR_MAX)
			take = FWD_HDR_MAX - fr->hlen;
		memcpy(fr->hdr + fr->hlen, d, take);
		fr->hdr[fr->hlen + take] = '\0';
		/* look for the blank line, also across the old bytes */
		off = cgihead_end(fr->hdr, fr->hlen + take, fr->hlen);
		end = off > 0 ? fr->hdr + off : NULL;
		if (end == NULL) {
			if (take < n)
				return -1;
			fr->hlen += take;
			return 0;
		}
		{
			size_t used = (size_t)(end - fr->hdr) - fr->hlen;

			fr->hlen = (size_t)(end - fr->hdr);
			fr->hdr[fr->hlen] = '\0';
			fr->state = FR_HEADERS;
			d += used;
			n -= used;
		}
	}
	if (n > 0) {
		unsigned char *p;

		if (fr->out_off > 0) {
			memmove(fr->out, fr->out + fr->out_off,
			    fr->out_len - fr->out_off);
			fr->out_len -= fr->out_off;
			fr->out_off = 0;
		}
		if (fr->out_len + n > fr->out_cap) {
			/* small answers stay small; at most about
			 * FWD_OUT_MAX + FWD_READ_CHUNK */
			size_t cap = fr->out_cap ? fr->out_cap * 2 : 4096;

			while (cap < fr->out_len + n)
				cap *= 2;
			if ((p = realloc(fr->out, cap)) == NULL)
				return -1;
			fr->out = p;
			fr->out_cap = cap;
		}
		p = fr->out + fr->out_len;
		memcpy(p, d, n);
		fr->out_len += n;
	}
	return 0;
}

/* Reads from the backend while the client side has room. */
static void
fwd_readable(struct fwd_conn *cn)
{
	unsigned char *buf = cn->loop->buf;
	size_t bufsize = sizeof(cn->loop->buf) - (FWD_OUT_MAX / 2);
	struct fwd_req *fr = cn->fr;
	struct fcgi_event ev;
	ssize_t n;
	int drained = 0;

	for (;;) {
		size_t off = 0;
		int done = 0, wake = 0;

		if (fr->out_len - fr->out_off >= FWD_OUT_MAX) {
			fr->paused = 1;
			cn->reading = 0;
			cn->deadline = fwd_now_ms() + fr->loc->read_timeout;
			fwd_epoll(cn, 0);
			return;
		}
		if (drained)
			return;	/* epoll says when there is more */
		n = recv(cn->fd, buf, bufsize, 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		drained = (size_t)n < bufsize;
		if (n <= 0) {
			fwd_fail(cn, 502, n == 0 ? "closed before the end of "
			    "the response" : strerror(errno));
			return;
		}
		cn->got_bytes = 1;
		cn->deadline = fwd_now_ms() + fr->loc->read_timeout;
		for (;;) {
			long used = fcgi_parse(&cn->p, buf + off,
			    (size_t)n - off, &ev);

			if (used < 0) {
				fwd_fail(cn, 502, cn->p.err ? cn->p.err :
				    "malformed FastCGI");
				return;
			}
			off += (size_t)used;
			if (ev.kind == FCGI_EV_NONE)
				break;
			if (ev.request_id != 1 && ev.request_id != 0)
				continue;
			if (ev.kind == FCGI_EV_DATA && ev.type == FCGI_STDOUT) {
				/* the HTTP side is woken once, after the
				 * whole read is parsed: an END_REQUEST in
				 * the same read lets it answer in one
				 * buffer instead of streaming */
				wake = 1;
				if (fwd_stdout(fr, ev.data, ev.len) == -1) {
					fwd_fail(cn, 502, "response header "
					    "too long");
					return;
				}
			} else if (ev.kind == FCGI_EV_DATA &&
			    ev.type == FCGI_STDERR) {
				fwd_stderr(cn, ev.data, ev.len);
			} else if (ev.kind == FCGI_EV_RECORD &&
			    ev.type == FCGI_END_REQUEST) {
				done = 1;
				break;
			}
		}
		if (!done && wake)
			fwd_wake(fr);
		if (done) {
			unsigned ps = ev.protocol_status;

			if (ps == FCGI_OVERLOADED) {
				fwd_fail(cn, 503, "overloaded");
				return;
			}
			if (ps != FCGI_REQUEST_COMPLETE) {
				fwd_fail(cn, 502, "request refused");
				return;
			}
			if (fr->state != FR_HEADERS) {
				fwd_fail(cn, 502, "no response header");
				return;
			}
			fr->out_end = 1;
			fwd_wake(fr);
			fwd_finish(cn, off == (size_t)n && cn->stdin_done);
			return;
		}
	}
}

static void
fwd_conn_event(struct webd_ev *ev, unsigned events)
{
	struct fwd_conn *cn = (struct fwd_conn *)ev;

	if (cn->dead)
		return;
	if (cn->fr == NULL) {	/* idle in the pool: the backend closed */
		fwd_list_remove(&cn->be->idle, cn);
		cn->be->nidle--;
		fwd_conn_bury(cn);
		return;
	}
	if (cn->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(cn->fd, SOL_SOCKET, SO_ERROR, &err, &len) ==
		    -1 || err != 0) {
			struct fwd_req *fr = cn->fr;

			log_err("fastcgi %s: connect: %s", cn->be->addr,
			    strerror(err ? err : errno));
			fwd_detach(cn, 0);	/* its reference goes on */
			fwd_connect(fr);	/* the next backend */
			fwd_unref(fr);
			return;
		}
		fwd_send_head(cn);
		return;
	}
	if (events & EPOLLOUT)
		if (fwd_flush(cn) == -1)
			return;
	if (cn->dead || cn->fr == NULL)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		fwd_readable(cn);
}

long long
fwd_loop_tick(struct fwd_loop *fl)
{
	long long now = fwd_now_ms(), next = -1;
	struct fwd_conn *cn, *nx;
	struct fwd_backend *be;

	for (cn = fl->active; cn != NULL; cn = nx) {
		nx = cn->next;
		if (cn->dead || cn->deadline == 0 ||
		    (!cn->reading && !cn->connecting && !cn->writing))
			continue;
		if (now < cn->deadline) {
			if (next == -1 || cn->deadline - now < next)
				next = cn->deadline - now;
			continue;
		}
		fwd_fail(cn, 504, cn->connecting ? "connect timed out" :
		    "timed out");
		nx = fl->active;	/* the list changed */
	}
	for (be = fl->backends; be != NULL; be = be->next) {
		for (cn = be->idle; cn != NULL; cn = nx) {
			nx = cn->next;
			if (now < cn->deadline) {
				if (next == -1 || cn->deadline - now < next)
					next = cn->deadline - now;
				continue;
			}
			fwd_list_remove(&be->idle, cn);
			be->nidle--;
			fwd_conn_bury(cn);
		}
	}
	while (fl->grave != NULL) {
		cn = fl->grave;
		fl->grave = cn->next;
		free(cn->w);
		free(cn);
	}
	return next;
}

void
fwd_loop_free(struct fwd_loop *fl)
{
	struct fwd_backend *be;

	if (fl == NULL)
		return;
	while (fl->active != NULL && fl->active->fr != NULL)
		fwd_finish(fl->active, 0);
	while ((be = fl->backends) != NULL) {
		while (be->idle != NULL) {
			struct fwd_conn *cn = be->idle;

			fwd_list_remove(&be->idle, cn);
			fwd_conn_bury(cn);
		}
		fl->backends = be->next;
		free(be);
	}
	while (fl->grave != NULL) {
		struct fwd_conn *cn = fl->grave;

		fl->grave = cn->next;
		free(cn->w);
		free(cn);
	}
	free(fl);
}
