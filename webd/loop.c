/* loop.c - the loop threads: each runs one epoll set holding its
 * libmicrohttpd daemons' epoll fds (a daemon per listening socket, in
 * external-loop mode, all threads accepting on the same sockets), its
 * FastCGI backend connections (fwd.c) and an eventfd for the main thread's
 * requests, and looks at the deadlines of the request bodies under way. A
 * forwarded request is parsed, sent to the backend, answered and written
 * back by the same thread, as in nginx's workers. The daemons themselves
 * and their callbacks are http.c's. */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"

/* How often a loop looks at its bodies' deadlines. */
#define HTTP_BODY_TICK_MS 100
/* The longest a loop waits for an event when its HTTPS daemon says "run
 * me again now" after a turn that did nothing (see loop_once()). */
#define LOOP_IDLE_TURN_MS 100

/* One libmicrohttpd daemon of a loop: its epoll fd is in the loop's set. */
struct loop_mhd {
	struct webd_ev ev;	/* first: epoll's data.ptr */
	struct loop *loop;
	struct MHD_Daemon *d;
	int tls;
};

static void
loop_mhd_event(struct webd_ev *ev, unsigned events)
{
	((struct loop_mhd *)ev)->loop->run_mhd = 1;
}

/* Runs the daemons once, and notes whether that did nothing for the TLS
 * connections: no byte read or sent, no callback, nothing GnuTLS or the
 * read-ahead still holds for libmicrohttpd. */
static void
loop_run_mhd(struct loop *l)
{
	unsigned long moved = l->turn.moved;
	size_t i;

	l->run_mhd = 0;
	for (i = 0; i < l->nmhd; i++)
		MHD_run(l->mhd[i].d);
	l->tls_idle = l->turn.moved == moved && !tls_turn_owed(&l->turn);
}

/* A daemon's timeout for epoll_wait, or -1 for none. libmicrohttpd 0.9.75
 * says 0 (run me again now) while a TLS connection waits for the client's
 * next handshake flight (MHD_run_tls_handshake_() leaves it "read ready",
 * so each turn retries gnutls_handshake() on an empty socket). After a
 * turn that did nothing for the TLS connections, another turn before an
 * event can do nothing either: its socket, the read-ahead and GnuTLS were
 * empty for each of them, every other connection is waiting for an epoll
 * edge or is suspended (its resumption is an event), and the accept of a
 * new connection or a callback would have counted. So that 0 becomes a
 * wait for an event, bounded by LOOP_IDLE_TURN_MS so that libmicrohttpd's
 * own timeouts, which its 0 hides, still come. */
static long long
loop_mhd_timeout(struct loop *l, const struct loop_mhd *m)
{
	MHD_UNSIGNED_LONG_LONG mt;

	if (MHD_get_timeout(m->d, &mt) != MHD_YES)
		return -1;
	if (mt == 0 && m->tls && l->tls_idle)
		return LOOP_IDLE_TURN_MS;
	return mt > LLONG_MAX ? LLONG_MAX : (long long)mt;
}

/* Stops accepting: the daemons give their listening sockets back (our
 * duplicates), so that the others' stay open. */
static void
loop_quiesce(struct loop *l)
{
	size_t i;

	if (l->quiesced)
		return;
	l->quiesced = 1;
	for (i = 0; i < l->nmhd; i++) {
		MHD_socket fd = MHD_quiesce_daemon(l->mhd[i].d);

		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
}

/* The main thread's requests (LOOP_*). */
static void
loop_command(struct webd_ev *ev, unsigned events)
{
	struct loop *l = (struct loop *)ev;
	uint64_t v;

	if (read(l->evfd, &v, sizeof(v)) < 0) {
		/* nothing pending */
	}
	if (__atomic_load_n(&l->cmd, __ATOMIC_ACQUIRE) & LOOP_QUIESCE)
		loop_quiesce(l);
}

void
loop_post(struct loop *l, int cmd)
{
	uint64_t one = 1;

	__atomic_or_fetch(&l->cmd, cmd, __ATOMIC_RELEASE);
	if (write(l->evfd, &one, sizeof(one)) < 0) {
		/* the counter is non-zero already */
	}
}

/* 408 for bodies past their deadline (413 for one too large, being
 * dropped). Returns the ms until the next look, or -1 for none. */
static long long
loop_bodies(struct loop *l)
{
	long long now;
	struct req *r, *nx;

	if (l->bodies == NULL)
		return -1;
	now = http_now_ms();
	if (now < l->body_tick)
		return l->body_tick - now;
	l->body_tick = now + HTTP_BODY_TICK_MS;
	for (r = l->bodies; r != NULL; r = nx) {
		nx = r->bnext;
		if (now < r->body_deadline)
			continue;
		log_info("%s: request body too slow (%lld bytes in %lld ms), "
		    "closing", r->conn ? r->conn->addr : "?", r->body,
		    now - r->body_start);
		http_body_abort(r, r->too_big ? 413 : 408);
	}
	return HTTP_BODY_TICK_MS;
}

/* Waits for events (up to max_ms, or the nearest deadline) and handles
 * them: fwd's directly, libmicrohttpd's by running the daemons once for
 * the whole batch, after the backends' answers have resumed their
 * connections. */
static void
loop_once(struct loop *l, long long max_ms)
{
	struct epoll_event evs[64];
	long long t = max_ms, f = fwd_loop_tick(l->fwd), b = loop_bodies(l);
	size_t i;
	int n;

	if (l->run_mhd)
		t = 0;
	for (i = 0; i < l->nmhd && t > 0; i++) {
		long long mt = loop_mhd_timeout(l, &l->mhd[i]);

		if (mt >= 0 && mt < t)
			t = mt;
	}
	if (f >= 0 && f < t)
		t = f;
	if (b >= 0 && b < t)
		t = b;
	n = epoll_wait(l->epfd, evs, 64, (int)t);
	for (i = 0; n > 0 && i < (size_t)n; i++) {
		struct webd_ev *ev = evs[i].data.ptr;

		ev->fn(ev, evs[i].events);
	}
	if (n == 0)
		l->run_mhd = 1;	/* a deadline, maybe libmicrohttpd's */
	if (l->run_mhd)
		loop_run_mhd(l);
}

void *
loop_main(void *arg)
{
	struct loop *l = arg;
	struct req *r;
	long long until;

	http_loop = l;
	tls_thread_use(l->srv->tls);
	while (!(__atomic_load_n(&l->cmd, __ATOMIC_ACQUIRE) & LOOP_STOP))
		loop_once(l, 1000);
	/* Requests still waiting on a backend end with 502 (or are cut),
	 * which resumes them: libmicrohttpd must not stop with connections
	 * suspended. */
	loop_quiesce(l);
	for (r = l->fwds; r != NULL; r = r->fnext)
		fwd_cancel(r->fr);
	until = http_now_ms() + 200;
	while (l->fwds != NULL && http_now_ms() < until)
		loop_once(l, 10);
	return NULL;
}

static int
loop_epoll_add(struct loop *l, int fd, struct webd_ev *ev)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = ev;
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e);
}

/* A loop with a daemon on each of fds[0..nfds-1] (duplicated); its thread
 * is started later. Returns 0, or -1 with a message in err. */
int
loop_init(struct loop *l, struct server *s, const struct server_socket *fds,
    size_t nfds, unsigned nloops, unsigned limit, char *err, size_t errlen)
{
	size_t i;

	l->ev.fn = loop_command;
	l->srv = s;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->epfd == -1 || l->evfd == -1 ||
	    loop_epoll_add(l, l->evfd, &l->ev) == -1) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	l->fwd = fwd_loop_new(l->epfd, nloops);
	l->mhd = calloc(nfds ? nfds : 1, sizeof(*l->mhd));
	l->metrics = metrics_slot_new();
	if (l->fwd == NULL || l->mhd == NULL || l->metrics == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < nfds; i++) {
		struct loop_mhd *m = &l->mhd[i];
		const union MHD_DaemonInfo *di;
		int fd = fcntl(fds[i].fd, F_DUPFD_CLOEXEC, 3);

		if (fd == -1) {
			snprintf(err, errlen, "dup: %s", strerror(errno));
			return -1;
		}
		m->ev.fn = loop_mhd_event;
		m->loop = l;
		m->tls = fds[i].tls;
		m->d = http_daemon(s, fd, fds[i].tls, limit);
		if (m->d == NULL) {
			close(fd);
			snprintf(err, errlen, "libmicrohttpd did not start");
			return -1;
		}
		l->nmhd++;
		di = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
		if (di == NULL || loop_epoll_add(l, di->epoll_fd, &m->ev) == -1) {
			snprintf(err, errlen, "libmicrohttpd: no epoll fd");
			return -1;
		}
	}
	return 0;
}

/* Stops l's thread (if it runs) and frees what it holds. */
void
loop_free(struct loop *l)
{
	size_t i;

	if (l->started) {
		loop_post(l, LOOP_STOP);
		pthread_join(l->thread, NULL);
	}
	/* what the thread would have done: on this thread now, with no
	 * thread left to race */
	http_loop = l;
	loop_quiesce(l);
	for (i = 0; i < l->nmhd; i++)
		MHD_stop_daemon(l->mhd[i].d);
	http_loop = NULL;
	metrics_slot_retire(l->metrics);
	fwd_loop_free(l->fwd);
	free(l->mhd);
	if (l->evfd >= 0)
		close(l->evfd);
	if (l->epfd >= 0)
		close(l->epfd);
}
