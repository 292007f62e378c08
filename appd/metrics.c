/* metrics.c - /metrics for appd. Workers count into their scoreboard
 * slot (shared memory made by the master before forking); the master
 * folds a gone worker's slot into retired totals before the slot is
 * reused, so no counter goes backwards while the master lives, across
 * worker replacements and reloads. The master answers the scrapes
 * itself, from its poll loop, so busy workers never delay them. */
#include "appd.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define METRICS_CLIENTS (APPD_METRICS_FDS - 1)
#define METRICS_REQ_MAX 4096
#define METRICS_CLIENT_MS 5000

/* --- counting (workers) --- */

void
appd_metrics_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

void
appd_metrics_request(struct appd_counters *m, int status, uint64_t usec,
    long long slow_ms)
{
	unsigned cls = status >= 100 && status < 600 ?
	    (unsigned)status / 100 - 1 : 4;

	appd_metrics_add(&m->requests[cls], 1);
	appd_metrics_add(&m->duration.bucket[prom_bucket(usec)], 1);
	appd_metrics_add(&m->duration.sum_us, usec);
	if (slow_ms > 0 && usec > (uint64_t)slow_ms * 1000)
		appd_metrics_add(&m->slow, 1);
}

/* a += b (b read with relaxed loads: its worker may be counting). */
static void
metrics_sum(struct appd_counters *a, const struct appd_counters *b)
{
	unsigned i;

	for (i = 0; i < 5; i++)
		a->requests[i] += __atomic_load_n(&b->requests[i],
		    __ATOMIC_RELAXED);
	a->accepted += __atomic_load_n(&b->accepted, __ATOMIC_RELAXED);
	a->slow += __atomic_load_n(&b->slow, __ATOMIC_RELAXED);
	a->db_connect_errors += __atomic_load_n(&b->db_connect_errors,
	    __ATOMIC_RELAXED);
	a->db_lost += __atomic_load_n(&b->db_lost, __ATOMIC_RELAXED);
	a->db_reconnects += __atomic_load_n(&b->db_reconnects,
	    __ATOMIC_RELAXED);
	prom_hist_add(&a->duration, &b->duration);
}

void
appd_metrics_retire(struct appd_board *b, struct appd_counters *m)
{
	metrics_sum(&b->retired, m);
	memset(m, 0, sizeof(*m));
}

/* --- the listen queue --- */

/* sock_diag's UNIX_DIAG_RQLEN for the listening Unix socket fd: for a
 * listener, the connections waiting and the backlog (what `ss -xl` shows
 * as Recv-Q and Send-Q). */
static int
metrics_unix_queue(int fd, unsigned *queue, unsigned *backlog)
{
	struct {
		struct nlmsghdr nh;
		struct unix_diag_req r;
	} req;
	union {
		struct nlmsghdr nh;
		char buf[2048];
	} u;
	struct stat st;
	struct rtattr *rta;
	struct unix_diag_rqlen rq;
	ssize_t n;
	int s, found = -1, len;

	if (fstat(fd, &st) == -1)
		return -1;
	s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (s == -1)
		return -1;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0U;
	req.r.udiag_ino = (unsigned)st.st_ino;
	req.r.udiag_show = UDIAG_SHOW_RQLEN;
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0U;
	if (send(s, &req, sizeof(req), 0) != (ssize_t)sizeof(req) ||
	    (n = recv(s, u.buf, sizeof(u.buf), 0)) <= 0 ||
	    !NLMSG_OK(&u.nh, (unsigned)n) ||
	    u.nh.nlmsg_type != SOCK_DIAG_BY_FAMILY) {
		close(s);
		return -1;
	}
	len = (int)u.nh.nlmsg_len - NLMSG_LENGTH(sizeof(struct unix_diag_msg));
	rta = (struct rtattr *)((char *)NLMSG_DATA(&u.nh) +
	    NLMSG_ALIGN(sizeof(struct unix_diag_msg)));
	for (; len > 0 && RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == UNIX_DIAG_RQLEN &&
		    RTA_PAYLOAD(rta) >= (int)sizeof(rq)) {
			memcpy(&rq, RTA_DATA(rta), sizeof(rq));
			*queue = rq.udiag_rqueue;
			*backlog = rq.udiag_wqueue;
			found = 0;
		}
	close(s);
	return found;
}

int
appd_listen_queue(int fd, unsigned *queue, unsigned *backlog)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_UNIX)
		return metrics_unix_queue(fd, queue, backlog);
	/* on a listening TCP socket: unacked is the accept queue, sacked
	 * the backlog */
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == -1)
		return -1;
	*queue = ti.tcpi_unacked;
	*backlog = ti.tcpi_sacked;
	return 0;
}

void
appd_metrics_sample(struct appd_board *b, int listen_fd, unsigned busy,
    int all_busy_now)
{
	static int64_t last;
	static int was_all_busy;
	int64_t now = appd_now_ms();
	unsigned q, bl;

	if (busy > b->busy_max)
		b->busy_max = busy;
	if (all_busy_now && !was_all_busy)
		b->all_busy++;
	was_all_busy = all_busy_now;
	if (now - last < 100)
		return;
	last = now;
	if (appd_listen_queue(listen_fd, &q, &bl) == 0 &&
	    q > b->listen_queue_max)
		b->listen_queue_max = q;
}

/* --- the text --- */

static void
metrics_text_workers(struct prom *p, const struct appd_board *b)
{
	static const char *names[] = { "free", "starting", "idle", "busy",
		"exiting" };
	unsigned n[5] = { 0 }, i, db = 0;
	int st;

	for (i = 0; i < b->nslots; i++) {
		st = __atomic_load_n(&b->slot[i].state, __ATOMIC_RELAXED);
		if (st > SLOT_FREE && st <= SLOT_EXITING)
			n[st]++;
		if (st == SLOT_IDLE || st == SLOT_BUSY)
			db += __atomic_load_n(&b->slot[i].db_up,
			    __ATOMIC_RELAXED) != 0;
	}
	prom_family(p, "foobar_appd_db_connected_workers", "gauge",
	    "Idle or busy workers holding a working database connection "
	    "(as of their last use of it).");
	prom_sample(p, "foobar_appd_db_connected_workers", db, PROM_END);
	prom_family(p, "foobar_appd_workers", "gauge",
	    "Worker processes by state (php-fpm's idle and active "
	    "processes).");
	for (i = SLOT_STARTING; i <= SLOT_EXITING; i++)
		prom_sample(p, "foobar_appd_workers", n[i], "state", names[i],
		    PROM_END);
	prom_family(p, "foobar_appd_workers_busy_max", "gauge",
	    "Most workers seen busy at once since start (php-fpm's max "
	    "active processes).");
	prom_sample(p, "foobar_appd_workers_busy_max", b->busy_max, PROM_END);
	prom_family(p, "foobar_appd_all_workers_busy_total", "counter",
	    "Times every worker was seen busy (php-fpm's max children "
	    "reached).");
	prom_sample(p, "foobar_appd_all_workers_busy_total", b->all_busy,
	    PROM_END);
	prom_family(p, "foobar_appd_overloaded_total", "counter",
	    "Connections answered FCGI_OVERLOADED (503) after waiting "
	    "queue_timeout while every worker was busy.");
	prom_sample(p, "foobar_appd_overloaded_total", b->overloaded, PROM_END);
}

static void
metrics_text_restarts(struct prom *p, const struct appd_board *b)
{
	static const char *cause[RESTART_NCAUSES] = { "max_requests",
		"reload", "timeout", "crash" };
	unsigned i;

	prom_family(p, "foobar_appd_worker_restarts_total", "counter",
	    "Workers that ended and were replaced, by cause: max_requests "
	    "reached, reload (SIGHUP), request_timeout (killed), crash.");
	for (i = 0; i < RESTART_NCAUSES; i++)
		prom_sample(p, "foobar_appd_worker_restarts_total",
		    b->restarts[i], "cause", cause[i], PROM_END);
}

static void
metrics_text_queue(struct prom *p, const struct appd_board *b,
    int listen_fd)
{
	unsigned q, bl;

	if (appd_listen_queue(listen_fd, &q, &bl) == -1)
		return;		/* not measurable here: no series */
	prom_family(p, "foobar_appd_listen_queue", "gauge",
	    "Connections waiting in the listen queue (php-fpm's listen "
	    "queue).");
	prom_sample(p, "foobar_appd_listen_queue", q, PROM_END);
	prom_family(p, "foobar_appd_listen_queue_max", "gauge",
	    "Longest listen queue seen since start, sampled every 100 ms.");
	prom_sample(p, "foobar_appd_listen_queue_max",
	    q > b->listen_queue_max ? q : b->listen_queue_max, PROM_END);
	prom_family(p, "foobar_appd_listen_queue_length", "gauge",
	    "Size of the listen queue (the backlog).");
	prom_sample(p, "foobar_appd_listen_queue_length", bl, PROM_END);
}

static void
metrics_text_counters(struct prom *p, const struct appd_counters *t)
{
	static const char *cls[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	unsigned i;

	prom_family(p, "foobar_appd_connections_accepted_total", "counter",
	    "FastCGI connections accepted by the workers (php-fpm's accepted "
	    "conn).");
	prom_sample(p, "foobar_appd_connections_accepted_total", t->accepted,
	    PROM_END);
	prom_family(p, "foobar_appd_requests_total", "counter",
	    "Requests answered by the workers, by status class.");
	for (i = 0; i < 5; i++)
		prom_sample(p, "foobar_appd_requests_total", t->requests[i],
		    "code_class", cls[i], PROM_END);
	prom_family(p, "foobar_appd_slow_requests_total", "counter",
	    "Requests that took longer than [metrics] slow_request.");
	prom_sample(p, "foobar_appd_slow_requests_total", t->slow, PROM_END);
	prom_family(p, "foobar_appd_request_duration_seconds", "histogram",
	    "Time a worker spent on a request, from its parameters to the "
	    "end of the response.");
	prom_histogram(p, "foobar_appd_request_duration_seconds",
	    &t->duration, NULL, NULL);
	prom_family(p, "foobar_appd_db_errors_total", "counter",
	    "Database failures: connect (a connection could not be made), "
	    "lost (a connection was found broken).");
	prom_sample(p, "foobar_appd_db_errors_total", t->db_connect_errors,
	    "kind", "connect", PROM_END);
	prom_sample(p, "foobar_appd_db_errors_total", t->db_lost, "kind",
	    "lost", PROM_END);
	prom_family(p, "foobar_appd_db_reconnects_total", "counter",
	    "Database connections made again after a failure.");
	prom_sample(p, "foobar_appd_db_reconnects_total", t->db_reconnects,
	    PROM_END);
}

char *
appd_metrics_render(const struct appd_board *b, int listen_fd, size_t *len)
{
	struct appd_counters t;
	struct prom p;
	unsigned i;

	memset(&t, 0, sizeof(t));
	metrics_sum(&t, &b->retired);
	for (i = 0; i < b->nslots; i++)
		if (__atomic_load_n(&b->slot[i].state, __ATOMIC_ACQUIRE) !=
		    SLOT_FREE || b->slot[i].pid != 0)
			metrics_sum(&t, &b->slot[i].m);
	prom_init(&p);
	prom_family(&p, "foobar_appd_build_info", "gauge",
	    "Always 1, with the version of foobar-appd.");
	prom_sample(&p, "foobar_appd_build_info", 1, "version",
	    FOOBAR_VERSION, PROM_END);
	prom_family(&p, "foobar_appd_start_time_seconds", "gauge",
	    "When the master started, in seconds since the epoch.");
	prom_sample(&p, "foobar_appd_start_time_seconds",
	    (unsigned long long)(b->start_ms / 1000), PROM_END);
	metrics_text_workers(&p, b);
	metrics_text_restarts(&p, b);
	metrics_text_queue(&p, b, listen_fd);
	metrics_text_counters(&p, &t);
	if (p.failed) {
		prom_free(&p);
		return NULL;
	}
	*len = p.len;
	return p.buf;
}

/* --- the listener, in the master's poll loop --- */

static struct {
	int lfd;
	struct {
		int fd;
		int64_t since;
		size_t len;
		char buf[METRICS_REQ_MAX];
	} c[METRICS_CLIENTS];
} L = { -1, { { -1, 0, 0, { 0 } } } };

void
appd_metrics_init(int fd)
{
	unsigned i;

	L.lfd = fd;
	for (i = 0; i < METRICS_CLIENTS; i++)
		L.c[i].fd = -1;
}

static void
metrics_close(unsigned i)
{
	close(L.c[i].fd);
	L.c[i].fd = -1;
}

void
appd_metrics_forget(void)
{
	unsigned i;

	if (L.lfd != -1)
		close(L.lfd);
	L.lfd = -1;
	for (i = 0; i < METRICS_CLIENTS; i++)
		if (L.c[i].fd != -1)
			metrics_close(i);
}

unsigned
appd_metrics_pollfds(struct pollfd *pfd)
{
	unsigned i, n = 0;
	int free_slot = 0;

	for (i = 0; i < METRICS_CLIENTS; i++) {
		if (L.c[i].fd == -1) {
			free_slot = 1;
			continue;
		}
		pfd[n].fd = L.c[i].fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	if (L.lfd != -1 && free_slot) {
		pfd[n].fd = L.lfd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	return n;
}

/* Sends the answer to a complete request and closes. */
static void
metrics_answer(unsigned i, const char *path, int head,
    const struct appd_board *b, int listen_fd)
{
	char hdr[256], *body = NULL;
	const char *status = "200 OK", *type = PROM_CONTENT_TYPE;
	size_t blen = 0;
	int n;

	if (path == NULL) {
		status = "400 Bad Request";
	} else if (strcmp(path, "/metrics") != 0) {
		status = "404 Not Found";
	} else if ((body = appd_metrics_render(b, listen_fd, &blen)) == NULL) {
		status = "500 Internal Server Error";
	}
	if (body == NULL)
		type = "text/plain; charset=utf-8";
	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type,
	    blen);
	if (appd_write_all(L.c[i].fd, hdr, (size_t)n, 200) == 0 && !head &&
	    blen > 0)
		appd_write_all(L.c[i].fd, body, blen, 200);
	free(body);
	shutdown(L.c[i].fd, SHUT_WR);
	metrics_close(i);
}

static void
metrics_read(unsigned i, const struct appd_board *b, int listen_fd)
{
	char path[256];
	int head = 0, r;
	ssize_t got;

	got = read(L.c[i].fd, L.c[i].buf + L.c[i].len,
	    sizeof(L.c[i].buf) - L.c[i].len);
	if (got <= 0) {
		if (got == 0 || errno != EAGAIN)
			metrics_close(i);
		return;
	}
	L.c[i].len += (size_t)got;
	r = prom_http_request(L.c[i].buf, L.c[i].len, path, sizeof(path),
	    &head);
	if (r == 1)
		metrics_answer(i, path, head, b, listen_fd);
	else if (r == -1 || L.c[i].len == sizeof(L.c[i].buf))
		metrics_answer(i, NULL, 0, b, listen_fd);
}

static void
metrics_accept(void)
{
	unsigned i;
	int fd;

	for (i = 0; i < METRICS_CLIENTS && L.c[i].fd != -1; i++)
		;
	if (i == METRICS_CLIENTS)
		return;
	fd = accept4(L.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	L.c[i].fd = fd;
	L.c[i].len = 0;
	L.c[i].since = appd_now_ms();
}

void
appd_metrics_events(const struct pollfd *pfd, unsigned n,
    const struct appd_board *b, int listen_fd)
{
	int64_t now = appd_now_ms();
	unsigned i, k;

	for (k = 0; k < n; k++) {
		if (pfd[k].revents == 0)
			continue;
		if (pfd[k].fd == L.lfd) {
			metrics_accept();
			continue;
		}
		for (i = 0; i < METRICS_CLIENTS; i++)
			if (L.c[i].fd == pfd[k].fd) {
				metrics_read(i, b, listen_fd);
				break;
			}
	}
	for (i = 0; i < METRICS_CLIENTS; i++)
		if (L.c[i].fd != -1 && now - L.c[i].since > METRICS_CLIENT_MS)
			metrics_close(i);
}
