/* fwd.c - FastCGI forwarding, the client side: one thread with epoll owns
 * every backend connection (pooled with FCGI_KEEP_CONN); the HTTP threads
 * hand over request bodies and take response bytes through bounded
 * buffers, suspending their connection while they wait. The thread's
 * state (pool, active list, epoll set) is guarded by fwd.run, which the
 * thread holds while it handles events; an HTTP thread that gets it at
 * once starts its request itself (writes it to a pooled connection, or
 * connects), so that the thread is only woken by the backend's answer. */
#include "webd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fcgi.h"
#include "log.h"
#include "sd.h"

#define FWD_IN_MAX (64 * 1024)	/* request body buffered towards a backend */
#define FWD_OUT_MAX (64 * 1024)	/* response bytes buffered towards a client */
#define FWD_HDR_MAX 16384	/* response header from a backend */
#define FWD_POOL_IDLE_MS 60000
#define FWD_READ_CHUNK 65536

enum fwd_state {
	FR_NEW,		/* params being added */
	FR_STARTED,	/* handed to the thread */
	FR_HEADERS,	/* response header complete */
	FR_FAILED	/* error_status says what to answer */
};

struct fwd_backend;

struct fwd_conn {
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
	int dead;		/* closed; freed at the end of the loop */
	long long deadline;	/* connect or read deadline; pool expiry */
	struct fwd_conn *next, *prev;	/* active list or pool */
};

struct fwd_backend {
	char addr[256];
	struct fwd_conn *idle;
	unsigned nidle;
	struct fwd_backend *next;
};

struct fwd_req {
	pthread_mutex_t lock;
	int refs;
	struct fwd_hooks hooks;
	char **backends;
	size_t nbackends;
	size_t next_backend;
	size_t tries;
	int retried;		/* no pooled connection any more */
	long long connect_timeout, read_timeout;
	int keep_conn;
	unsigned keepalive;
	unsigned char *params;
	size_t plen, pcap;
	long long content_length;	/* -1: collect the body first */
	unsigned char *in;
	size_t in_len, in_cap, in_max;
	int in_end;
	int in_any;		/* body bytes went to a backend */
	int state;
	unsigned error_status;
	int waiting;		/* the HTTP side is suspended */
	char *hdr;		/* FWD_HDR_MAX + 1 bytes once needed */
	size_t hlen;
	unsigned char *out;
	size_t out_len, out_off, out_cap;
	int out_end, out_err;
	int paused;		/* thread stopped reading: out full */
	int gone;		/* the HTTP side let go */
	struct fwd_conn *conn;
	int kicked;
	struct fwd_req *kick_next;
	char stderr_line[512];
	size_t stderr_len;
};

static struct {
	pthread_once_t once;
	int ok;
	int epfd, evfd;
	pthread_t thread;
	pthread_mutex_t lock;	/* kick list */
	pthread_mutex_t run;	/* everything below */
	struct fwd_req *kicks;
	struct fwd_backend *backends;	/* thread only */
	struct fwd_conn *active;	/* thread only */
	struct fwd_conn *grave;		/* thread only: closed, to free */
} fwd = { PTHREAD_ONCE_INIT, 0, -1, -1, 0, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, NULL,
	NULL, NULL, NULL };

static long long
fwd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- requests, both sides --- */

static void
fwd_ref(struct fwd_req *fr)
{
	pthread_mutex_lock(&fr->lock);
	fr->refs++;
	pthread_mutex_unlock(&fr->lock);
}

static void
fwd_unref(struct fwd_req *fr)
{
	size_t i;
	int refs;

	pthread_mutex_lock(&fr->lock);
	refs = --fr->refs;
	pthread_mutex_unlock(&fr->lock);
	if (refs > 0)
		return;
	for (i = 0; i < fr->nbackends; i++)
		free(fr->backends[i]);
	free(fr->backends);
	free(fr->params);
	free(fr->in);
	free(fr->out);
	free(fr->hdr);
	pthread_mutex_destroy(&fr->lock);
	free(fr);
}

/* Queues fr for the thread. */
static void
fwd_kick(struct fwd_req *fr)
{
	uint64_t one = 1;
	int add = 0;

	pthread_mutex_lock(&fwd.lock);
	pthread_mutex_lock(&fr->lock);
	if (!fr->kicked) {
		fr->kicked = 1;
		fr->refs++;
		add = 1;
	}
	pthread_mutex_unlock(&fr->lock);
	if (add) {
		fr->kick_next = fwd.kicks;
		fwd.kicks = fr;
	}
	pthread_mutex_unlock(&fwd.lock);
	if (add && write(fwd.evfd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero */
	}
}

/* With fr->lock held: lets a suspended HTTP side go on. */
static void
fwd_wake(struct fwd_req *fr)
{
	if (fr->waiting && !fr->gone) {
		fr->waiting = 0;
		fr->hooks.resume(fr->hooks.arg);
	}
}

/* With fr->lock held: suspends the HTTP side until fwd_wake(). */
static void
fwd_wait(struct fwd_req *fr)
{
	fr->waiting = 1;
	fr->hooks.suspend(fr->hooks.arg);
}

static void *fwd_main(void *arg);
static void fwd_connect(struct fwd_req *fr);

static void
fwd_init(void)
{
	struct epoll_event ev;

	fwd.epfd = epoll_create1(EPOLL_CLOEXEC);
	fwd.evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fwd.epfd == -1 || fwd.evfd == -1)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(fwd.epfd, EPOLL_CTL_ADD, fwd.evfd, &ev) == -1)
		return;
	if (pthread_create(&fwd.thread, NULL, fwd_main, NULL) != 0)
		return;
	pthread_detach(fwd.thread);
	fwd.ok = 1;
}

struct fwd_req *
fwd_new(const struct webd_location *loc, long long content_length,
    long long max_body, const struct fwd_hooks *hooks)
{
	struct fwd_req *fr;
	size_t i;

	pthread_once(&fwd.once, fwd_init);
	if (!fwd.ok || loc->fastcgi_pass.n == 0)
		return NULL;
	fr = calloc(1, sizeof(*fr));
	if (fr == NULL)
		return NULL;
	pthread_mutex_init(&fr->lock, NULL);
	fr->refs = 1;
	fr->hooks = *hooks;
	fr->content_length = content_length;
	fr->in_max = content_length < 0 ? (size_t)max_body + 1 : FWD_IN_MAX;
	fr->connect_timeout = loc->connect_timeout;
	fr->read_timeout = loc->read_timeout;
	fr->keep_conn = loc->keep_conn;
	fr->keepalive = (unsigned)loc->keepalive;
	fr->backends = calloc(loc->fastcgi_pass.n, sizeof(char *));
	if (fr->backends == NULL)
		goto fail;
	for (i = 0; i < loc->fastcgi_pass.n; i++) {
		fr->backends[i] = strdup(loc->fastcgi_pass.v[i]);
		if (fr->backends[i] == NULL)
			goto fail;
		fr->nbackends++;
	}
	return fr;
fail:
	fwd_unref(fr);
	return NULL;
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
	pthread_mutex_lock(&fr->lock);
	fr->next_backend = rr % fr->nbackends;
	fr->state = FR_STARTED;
	if (fr->content_length == 0)
		fr->in_end = 1;		/* no body: one kick is enough */
	pthread_mutex_unlock(&fr->lock);
	/* the thread is idle: start here, without waking it; never wait */
	if (pthread_mutex_trylock(&fwd.run) == 0) {
		fwd_connect(fr);
		pthread_mutex_unlock(&fwd.run);
		return;
	}
	fwd_kick(fr);
}

int
fwd_started(struct fwd_req *fr)
{
	return fr->state != FR_NEW;
}

size_t
fwd_body(struct fwd_req *fr, const char *data, size_t len)
{
	size_t n, room;

	pthread_mutex_lock(&fr->lock);
	if (fr->state == FR_FAILED) {	/* drop the rest */
		pthread_mutex_unlock(&fr->lock);
		return len;
	}
	room = fr->in_max > fr->in_len ? fr->in_max - fr->in_len : 0;
	n = len < room ? len : room;
	if (fr->in_len + n > fr->in_cap) {
		size_t cap = fr->in_cap ? fr->in_cap : 16384;
		unsigned char *p;

		while (cap < fr->in_len + n)
			cap *= 2;
		if ((p = realloc(fr->in, cap)) == NULL) {
			pthread_mutex_unlock(&fr->lock);
			return 0;
		}
		fr->in = p;
		fr->in_cap = cap;
	}
	memcpy(fr->in + fr->in_len, data, n);
	fr->in_len += n;
	if (n < len && fr->content_length < 0)
		n = len;	/* over max_body: the caller answers 413 */
	else if (n < len)
		fwd_wait(fr);
	pthread_mutex_unlock(&fr->lock);
	if (n > 0 && fr->state != FR_NEW)
		fwd_kick(fr);
	return n;
}

void
fwd_body_end(struct fwd_req *fr)
{
	int was;

	pthread_mutex_lock(&fr->lock);
	was = fr->in_end;
	fr->in_end = 1;
	pthread_mutex_unlock(&fr->lock);
	if (!was && fr->state != FR_NEW)
		fwd_kick(fr);
}

size_t
fwd_body_len(struct fwd_req *fr)
{
	return fr->in_len;
}

int
fwd_headers(struct fwd_req *fr, unsigned *status, const char **hdr,
    size_t *hlen)
{
	int rc;

	pthread_mutex_lock(&fr->lock);
	if (fr->state == FR_FAILED) {
		*status = fr->error_status;
		rc = -1;
	} else if (fr->state == FR_HEADERS) {
		*hdr = fr->hdr;
		*hlen = fr->hlen;
		rc = 1;
	} else {
		fwd_wait(fr);
		rc = 0;
	}
	pthread_mutex_unlock(&fr->lock);
	return rc;
}

int
fwd_whole_body(struct fwd_req *fr, const char **data, size_t *len)
{
	int rc = 0;

	pthread_mutex_lock(&fr->lock);
	if (fr->out_end && !fr->out_err) {
		*data = (const char *)fr->out + fr->out_off;
		*len = fr->out_len - fr->out_off;
		rc = 1;
	}
	pthread_mutex_unlock(&fr->lock);
	return rc;
}

long
fwd_read(struct fwd_req *fr, char *buf, size_t max)
{
	size_t n;
	int kick = 0;
	long rc;

	pthread_mutex_lock(&fr->lock);
	n = fr->out_len - fr->out_off;
	if (n > 0) {
		if (n > max)
			n = max;
		memcpy(buf, fr->out + fr->out_off, n);
		fr->out_off += n;
		if (fr->out_off == fr->out_len)
			fr->out_off = fr->out_len = 0;
		if (fr->paused && fr->out_len - fr->out_off < FWD_OUT_MAX / 2) {
			fr->paused = 0;
			kick = 1;
		}
		rc = (long)n;
	} else if (fr->out_err) {
		rc = -2;
	} else if (fr->out_end) {
		rc = -1;
	} else {
		fwd_wait(fr);
		rc = 0;
	}
	pthread_mutex_unlock(&fr->lock);
	if (kick)
		fwd_kick(fr);
	return rc;
}

void
fwd_release(struct fwd_req *fr)
{
	if (fr == NULL)
		return;
	int kick;

	pthread_mutex_lock(&fr->lock);
	fr->gone = 1;
	fr->waiting = 0;
	/* a finished request needs nothing more from the thread */
	kick = fr->state != FR_NEW && (fr->conn != NULL ||
	    (!fr->out_end && !fr->out_err));
	pthread_mutex_unlock(&fr->lock);
	if (kick)
		fwd_kick(fr);
	fwd_unref(fr);
}

void
fwd_cancel(struct fwd_req *fr)
{
	pthread_mutex_lock(&fr->lock);
	if (fr->state != FR_HEADERS) {
		fr->state = FR_FAILED;
		fr->error_status = 502;
	}
	fr->out_err = 1;
	fwd_wake(fr);
	pthread_mutex_unlock(&fr->lock);
}

/* --- the thread --- */

static struct fwd_backend *
fwd_backend(const char *addr)
{
	struct fwd_backend *be;

	for (be = fwd.backends; be != NULL; be = be->next)
		if (strcmp(be->addr, addr) == 0)
			return be;
	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return NULL;
	snprintf(be->addr, sizeof(be->addr), "%s", addr);
	be->next = fwd.backends;
	fwd.backends = be;
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
	ev.data.ptr = cn;
	epoll_ctl(fwd.epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, cn->fd, &ev);
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
	epoll_ctl(fwd.epfd, EPOLL_CTL_DEL, cn->fd, NULL);
	close(cn->fd);
	cn->dead = 1;
	cn->next = fwd.grave;
	fwd.grave = cn;
}

static void
fwd_conn_close(struct fwd_conn *cn)
{
	if (cn->fr != NULL)
		fwd_list_remove(&fwd.active, cn);
	fwd_conn_bury(cn);
}

/* Detaches the request from its connection, which goes back to the pool
 * when clean; the caller drops the connection's reference to fr. */
static void
fwd_detach(struct fwd_conn *cn, int reuse)
{
	struct fwd_req *fr = cn->fr;
	struct fwd_backend *be = cn->be;

	pthread_mutex_lock(&fr->lock);
	fr->conn = NULL;
	pthread_mutex_unlock(&fr->lock);
	if (reuse && fr->keep_conn && be != NULL &&
	    be->nidle < fr->keepalive &&
	    cn->woff == cn->wlen && fcgi_parser_idle(&cn->p)) {
		fwd_list_remove(&fwd.active, cn);
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
	int retry;

	pthread_mutex_lock(&fr->lock);
	/* A reused connection that died before any answer: once more on a
	 * fresh one, when the body is still all here. */
	retry = cn->reused && !cn->got_bytes && !fr->in_any && !fr->retried &&
	    !fr->gone && status == 502;
	pthread_mutex_unlock(&fr->lock);
	if (retry) {
		fr->retried = 1;
		fwd_detach(cn, 0);	/* its reference goes on */
		fr->tries = 0;
		fwd_connect(fr);
		fwd_unref(fr);
		return;
	}
	log_err("fastcgi %s: %s", cn->be ? cn->be->addr : "?", why);
	pthread_mutex_lock(&fr->lock);
	if (fr->state != FR_HEADERS) {
		fr->state = FR_FAILED;
		fr->error_status = status;
	}
	fr->out_err = 1;
	fwd_wake(fr);
	pthread_mutex_unlock(&fr->lock);
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

/* Moves request body bytes into records. Returns 1 when it moved any. */
static int
fwd_take_body(struct fwd_conn *cn)
{
	struct fwd_req *fr = cn->fr;
	int moved = 0;

	pthread_mutex_lock(&fr->lock);
	if (fr->in_len > 0 && cn->wlen - cn->woff < FWD_IN_MAX &&
	    fwd_wreserve(cn, fcgi_stream_size(fr->in_len)) == 0) {
		cn->wlen += fcgi_stream_encode(cn->w + cn->wlen,
		    cn->wcap - cn->wlen, FCGI_STDIN, 1, fr->in, fr->in_len);
		fr->in_len = 0;
		fr->in_any = 1;
		moved = 1;
		if (fr->in_max == FWD_IN_MAX)
			fwd_wake(fr);	/* room for more body */
	}
	if (fr->in_len == 0 && fr->in_end && !cn->stdin_done &&
	    fwd_wreserve(cn, FCGI_HEADER_LEN) == 0) {
		cn->wlen += fcgi_record_encode(cn->w + cn->wlen,
		    cn->wcap - cn->wlen, FCGI_STDIN, 1, NULL, 0);
		cn->stdin_done = 1;
		moved = 1;
	}
	pthread_mutex_unlock(&fr->lock);
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
	fwd_take_body(cn);
	while (!blocked) {
		while (cn->woff < cn->wlen) {
			ssize_t n = send(cn->fd, cn->w + cn->woff,
			    cn->wlen - cn->woff, MSG_NOSIGNAL);

			if (n > 0) {
				cn->woff += (size_t)n;
				cn->deadline = fwd_now_ms() + fr->read_timeout;
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
		if (!fwd_take_body(cn))
			break;
	}
	cn->writing = cn->wlen > cn->woff;
	fwd_epoll(cn, 0);
	return 0;
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
	    fr->keep_conn ? FCGI_KEEP_CONN : 0);
	cn->wlen += fcgi_stream_encode(cn->w + cn->wlen, cn->wcap - cn->wlen,
	    FCGI_PARAMS, 1, fr->params, fr->plen);
	cn->wlen += fcgi_record_encode(cn->w + cn->wlen, cn->wcap - cn->wlen,
	    FCGI_PARAMS, 1, NULL, 0);
	cn->deadline = fwd_now_ms() + fr->read_timeout;
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

/* Connects to the next backend in turn (or takes a pooled connection);
 * tries each backend once before giving up with 502. */
static void
fwd_connect(struct fwd_req *fr)
{
	while (fr->tries < fr->nbackends) {
		const char *addr = fr->backends[(fr->next_backend + fr->tries) %
		    fr->nbackends];
		struct fwd_backend *be = fwd_backend(addr);
		struct sockaddr_storage ss;
		struct fwd_conn *cn;
		socklen_t len;
		char err[256];
		int fd;

		fr->tries++;
		if (be == NULL)
			break;
		cn = fr->retried ? NULL : fwd_pool_take(be);
		if (cn != NULL) {
			cn->fr = fr;
			fwd_ref(fr);
			fr->conn = cn;
			fwd_list_add(&fwd.active, cn);
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
		cn->fd = fd;
		cn->be = be;
		cn->fr = fr;
		fwd_ref(fr);
		fr->conn = cn;
		cn->connecting = 1;
		cn->writing = 1;
		cn->deadline = fwd_now_ms() + fr->connect_timeout;
		fwd_list_add(&fwd.active, cn);
		fwd_epoll(cn, 1);
		return;
	}
	pthread_mutex_lock(&fr->lock);
	fr->state = FR_FAILED;
	fr->error_status = 502;
	fr->out_err = 1;
	fwd_wake(fr);
	pthread_mutex_unlock(&fr->lock);
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

/* STDOUT bytes: the header first, then the body. With fr->lock held.
 * Returns 0, or -1 when the header is too long. */
static int
fwd_stdout(struct fwd_req *fr, const unsigned char *d, size_t n)
{
	if (fr->state != FR_HEADERS) {
		size_t take = n, i, off;
		char *end;

		if (fr->hdr == NULL &&
		    (fr->hdr = malloc(FWD_HDR_MAX + 1)) == NULL)
			return -1;
		if (fr->hlen + take > FWD_HDR_MAX)
			take = FWD_HDR_MAX - fr->hlen;
		memcpy(fr->hdr + fr->hlen, d, take);
		fr->hdr[fr->hlen + take] = '\0';
		/* look for the blank line, also across the old bytes */
		i = fr->hlen > 3 ? fr->hlen - 3 : 0;
		off = cgi_header_end(fr->hdr + i, fr->hlen + take - i);
		end = off > 0 ? fr->hdr + i + off : NULL;
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
	static unsigned char buf[FWD_READ_CHUNK];
	struct fwd_req *fr = cn->fr;
	struct fcgi_event ev;
	ssize_t n;
	int drained = 0;

	for (;;) {
		size_t off = 0;
		int done = 0, wake = 0;

		pthread_mutex_lock(&fr->lock);
		if (fr->out_len - fr->out_off >= FWD_OUT_MAX) {
			fr->paused = 1;
			pthread_mutex_unlock(&fr->lock);
			cn->reading = 0;
			cn->deadline = fwd_now_ms() + fr->read_timeout;
			fwd_epoll(cn, 0);
			return;
		}
		pthread_mutex_unlock(&fr->lock);
		if (drained)
			return;	/* epoll says when there is more */
		n = recv(cn->fd, buf, sizeof(buf) - (FWD_OUT_MAX / 2), 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		drained = (size_t)n < sizeof(buf) - (FWD_OUT_MAX / 2);
		if (n <= 0) {
			fwd_fail(cn, 502, n == 0 ? "closed before the end of "
			    "the response" : strerror(errno));
			return;
		}
		cn->got_bytes = 1;
		cn->deadline = fwd_now_ms() + fr->read_timeout;
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
				int bad;

				/* the HTTP side is woken once, after the
				 * whole read is parsed: an END_REQUEST in
				 * the same read lets it answer in one
				 * buffer instead of streaming */
				pthread_mutex_lock(&fr->lock);
				bad = fwd_stdout(fr, ev.data, ev.len);
				pthread_mutex_unlock(&fr->lock);
				wake = 1;
				if (bad) {
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
		if (!done && wake) {
			pthread_mutex_lock(&fr->lock);
			fwd_wake(fr);
			pthread_mutex_unlock(&fr->lock);
		}
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
			pthread_mutex_lock(&fr->lock);
			if (fr->state != FR_HEADERS) {
				pthread_mutex_unlock(&fr->lock);
				fwd_fail(cn, 502, "no response header");
				return;
			}
			fr->out_end = 1;
			fwd_wake(fr);
			pthread_mutex_unlock(&fr->lock);
			fwd_finish(cn, off == (size_t)n && cn->stdin_done);
			return;
		}
	}
}

static void
fwd_event(struct fwd_conn *cn, unsigned events)
{
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
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		fwd_readable(cn);
}

/* A request the HTTP side touched: start, more body, more room, gone. */
static void
fwd_kicked(struct fwd_req *fr)
{
	struct fwd_conn *cn;
	int gone, start, paused;

	pthread_mutex_lock(&fr->lock);
	fr->kicked = 0;
	gone = fr->gone;
	cn = fr->conn;
	start = cn == NULL && fr->state == FR_STARTED && fr->tries == 0;
	paused = fr->paused;
	pthread_mutex_unlock(&fr->lock);
	if (gone) {
		if (cn != NULL)
			fwd_finish(cn, 0);
	} else if (start) {
		fwd_connect(fr);
	} else if (cn != NULL && !cn->connecting) {
		if (fwd_flush(cn) == 0 && !paused && !cn->reading) {
			cn->reading = 1;
			fwd_epoll(cn, 0);
			fwd_readable(cn);
		}
	}
	fwd_unref(fr);
}

static void
fwd_timeouts(void)
{
	long long now = fwd_now_ms();
	struct fwd_conn *cn, *next;
	struct fwd_backend *be;

	for (cn = fwd.active; cn != NULL; cn = next) {
		next = cn->next;
		if (cn->deadline == 0 || now < cn->deadline ||
		    (!cn->reading && !cn->connecting && !cn->writing))
			continue;
		log_debug("fastcgi timeout: in %zu/%d w %zu stdin_done %d "
		    "reading %d writing %d waiting %d state %d",
		    cn->fr->in_len, cn->fr->in_end, cn->wlen - cn->woff,
		    cn->stdin_done, cn->reading, cn->writing,
		    cn->fr->waiting, cn->fr->state);
		fwd_fail(cn, 504, cn->connecting ? "connect timed out" :
		    "timed out");
		next = fwd.active;	/* the list changed */
	}
	for (be = fwd.backends; be != NULL; be = be->next) {
		for (cn = be->idle; cn != NULL; cn = next) {
			next = cn->next;
			if (now < cn->deadline)
				continue;
			fwd_list_remove(&be->idle, cn);
			be->nidle--;
			fwd_conn_bury(cn);
		}
	}
}

static void
fwd_take_kicks(void)
{
	struct fwd_req *list, *fr;
	uint64_t v;

	if (read(fwd.evfd, &v, sizeof(v)) < 0) {
		/* nothing pending */
	}
	pthread_mutex_lock(&fwd.lock);
	list = fwd.kicks;
	fwd.kicks = NULL;
	pthread_mutex_unlock(&fwd.lock);
	while ((fr = list) != NULL) {
		list = fr->kick_next;
		fwd_kicked(fr);
	}
}

static void *
fwd_main(void *arg)
{
	struct epoll_event evs[64];

	for (;;) {
		int i, kicked = 0, n = epoll_wait(fwd.epfd, evs, 64, 100);

		/* fwd.run is taken per event, so that HTTP threads often
		 * find it free; a connection they close meanwhile is only
		 * marked dead, and freed below, after this batch */
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				kicked = 1;
				continue;
			}
			pthread_mutex_lock(&fwd.run);
			fwd_event(evs[i].data.ptr, evs[i].events);
			pthread_mutex_unlock(&fwd.run);
		}
		pthread_mutex_lock(&fwd.run);
		if (kicked)
			fwd_take_kicks();
		fwd_timeouts();
		while (fwd.grave != NULL) {
			struct fwd_conn *cn = fwd.grave;

			fwd.grave = cn->next;
			free(cn->w);
			free(cn);
		}
		pthread_mutex_unlock(&fwd.run);
	}
	return NULL;
}
