/* metrics.c - webd's counters and their Prometheus text.
 *
 * Each loop thread owns one struct wmetrics and is the only one to write
 * it (a relaxed load and store: no lock, no locked instruction); a scrape
 * sums every thread's counters with relaxed loads. A thread that ends
 * (reload, stop) folds its counters into the retired totals under the
 * registry lock, so that no count is lost or counted twice and no
 * counter goes backwards while the process lives. Location and backend
 * names are interned once into fixed tables, so counters are plain array
 * slots. */
#include "webd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prom.h"

#define METRICS_NAMES 64	/* locations, and backends */
#define METRICS_CLASSES 5	/* 1xx .. 5xx */

enum { MC_ERR_502, MC_ERR_503, MC_ERR_504, MC_NERR };

struct wmetrics {
	uint64_t requests[METRICS_NAMES][METRICS_CLASSES];
	uint64_t bytes;
	uint64_t rejected;
	uint64_t accepted, handled, closed;
	int64_t state[WM_NSTATES];	/* net: can go below 0 in one slot */
	uint64_t fcgi_errors[METRICS_NAMES][MC_NERR];
	struct prom_hist duration;
	struct wmetrics *next;
};

static struct {
	pthread_mutex_t lock;
	struct wmetrics *live;
	struct wmetrics retired;
	char *loc[METRICS_NAMES];	/* [0]: "static" */
	size_t nloc;
	char *be[METRICS_NAMES];
	size_t nbe;
	time_t start;
} M = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* One more, by the slot's only writer. */
static inline void
metrics_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
	    __ATOMIC_RELAXED);
}

static inline void
metrics_gauge(int64_t *g, int64_t d)
{
	__atomic_store_n(g, __atomic_load_n(g, __ATOMIC_RELAXED) + d,
	    __ATOMIC_RELAXED);
}

struct wmetrics *
metrics_slot_new(void)
{
	struct wmetrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	pthread_mutex_lock(&M.lock);
	if (M.start == 0)
		M.start = time(NULL);
	m->next = M.live;
	M.live = m;
	pthread_mutex_unlock(&M.lock);
	return m;
}

/* a += b, every field. */
static void
metrics_sum(struct wmetrics *a, const struct wmetrics *b)
{
	size_t i, j;

	for (i = 0; i < METRICS_NAMES; i++) {
		for (j = 0; j < METRICS_CLASSES; j++)
			a->requests[i][j] += __atomic_load_n(
			    &b->requests[i][j], __ATOMIC_RELAXED);
		for (j = 0; j < MC_NERR; j++)
			a->fcgi_errors[i][j] += __atomic_load_n(
			    &b->fcgi_errors[i][j], __ATOMIC_RELAXED);
	}
	a->bytes += __atomic_load_n(&b->bytes, __ATOMIC_RELAXED);
	a->rejected += __atomic_load_n(&b->rejected, __ATOMIC_RELAXED);
	a->accepted += __atomic_load_n(&b->accepted, __ATOMIC_RELAXED);
	a->handled += __atomic_load_n(&b->handled, __ATOMIC_RELAXED);
	a->closed += __atomic_load_n(&b->closed, __ATOMIC_RELAXED);
	for (i = 0; i < WM_NSTATES; i++)
		a->state[i] += __atomic_load_n(&b->state[i], __ATOMIC_RELAXED);
	prom_hist_add(&a->duration, &b->duration);
}

void
metrics_slot_retire(struct wmetrics *m)
{
	struct wmetrics **p;

	if (m == NULL)
		return;
	pthread_mutex_lock(&M.lock);
	for (p = &M.live; *p != NULL; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			break;
		}
	metrics_sum(&M.retired, m);
	pthread_mutex_unlock(&M.lock);
	free(m);
}

/* The index of name in tab (added when missing); the last slot takes
 * every name past the table. */
static unsigned
metrics_intern(char **tab, size_t *n, const char *name)
{
	size_t i;

	pthread_mutex_lock(&M.lock);
	for (i = 0; i < *n; i++)
		if (strcmp(tab[i], name) == 0)
			goto out;
	if (*n == METRICS_NAMES - 1) {
		if (tab[i] == NULL)
			tab[i] = strdup("other");
		goto out;
	}
	if ((tab[i] = strdup(name)) != NULL)
		(*n)++;
	else
		i = 0;
out:
	pthread_mutex_unlock(&M.lock);
	return (unsigned)i;
}

unsigned
metrics_location(const char *prefix)
{
	if (M.nloc == 0)
		metrics_intern(M.loc, &M.nloc, "static");
	return metrics_intern(M.loc, &M.nloc, prefix ? prefix : "static");
}

void
metrics_backend(const char *addr)
{
	metrics_intern(M.be, &M.nbe, addr);
}

void
metrics_request(struct wmetrics *m, unsigned loc, int status,
    unsigned long long bytes, uint64_t usec)
{
	unsigned cls = status >= 100 && status < 600 ?
	    (unsigned)status / 100 - 1 : 4;

	if (m == NULL)
		return;
	metrics_add(&m->requests[loc % METRICS_NAMES][cls], 1);
	metrics_add(&m->bytes, bytes);
	metrics_add(&m->duration.bucket[prom_bucket(usec)], 1);
	metrics_add(&m->duration.sum_us, usec);
	if (status == 400 || status == 431 || status == 501)
		metrics_add(&m->rejected, 1);
}

void
metrics_conn(struct wmetrics *m, int from, int to, int handled)
{
	if (m == NULL)
		return;
	if (from < 0) {
		metrics_add(&m->accepted, 1);
		if (handled)
			metrics_add(&m->handled, 1);
	} else {
		metrics_gauge(&m->state[from], -1);
	}
	if (to < 0)
		metrics_add(&m->closed, 1);
	else
		metrics_gauge(&m->state[to], 1);
}

void
metrics_fcgi_error(struct wmetrics *m, const char *backend, unsigned status)
{
	unsigned b, k = status == 503 ? MC_ERR_503 : status == 504 ?
	    MC_ERR_504 : MC_ERR_502;

	if (m == NULL)
		return;
	b = metrics_intern(M.be, &M.nbe, backend ? backend : "none");
	metrics_add(&m->fcgi_errors[b][k], 1);
}

uint64_t
metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* --- the text --- */

static void
metrics_text_requests(struct prom *p, const struct wmetrics *t,
    size_t nloc)
{
	static const char *cls[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	size_t i, j;

	prom_family(p, "foobar_webd_http_requests_total", "counter",
	    "HTTP requests answered, by location block (\"static\" when none "
	    "matched) and status class.");
	for (i = 0; i < nloc; i++)
		for (j = 0; j < METRICS_CLASSES; j++)
			prom_sample(p, "foobar_webd_http_requests_total",
			    t->requests[i][j], "location", M.loc[i],
			    "code_class", cls[j], PROM_END);
	prom_family(p, "foobar_webd_http_requests_rejected_total", "counter",
	    "Requests refused as malformed (answered 400, 431 or 501).");
	prom_sample(p, "foobar_webd_http_requests_rejected_total",
	    t->rejected, PROM_END);
	prom_family(p, "foobar_webd_http_response_bytes_total", "counter",
	    "Response body bytes sent.");
	prom_sample(p, "foobar_webd_http_response_bytes_total", t->bytes,
	    PROM_END);
	prom_family(p, "foobar_webd_http_request_duration_seconds",
	    "histogram", "Time from the request line to the end of the "
	    "response.");
	prom_histogram(p, "foobar_webd_http_request_duration_seconds",
	    &t->duration, NULL, NULL);
}

static void
metrics_text_conns(struct prom *p, const struct wmetrics *t)
{
	static const char *st[WM_NSTATES] = { "reading", "writing", "idle" };
	int64_t open = 0, v;
	size_t i;

	prom_family(p, "foobar_webd_connections_accepted_total", "counter",
	    "Client connections accepted (stub_status accepts).");
	prom_sample(p, "foobar_webd_connections_accepted_total", t->accepted,
	    PROM_END);
	prom_family(p, "foobar_webd_connections_handled_total", "counter",
	    "Accepted connections not closed at once for "
	    "max_connections_per_ip (stub_status handled).");
	prom_sample(p, "foobar_webd_connections_handled_total", t->handled,
	    PROM_END);
	prom_family(p, "foobar_webd_connections", "gauge",
	    "Open client connections by state: reading a request header, "
	    "writing a response, idle (keep-alive, stub_status Waiting).");
	for (i = 0; i < WM_NSTATES; i++) {
		v = t->state[i] > 0 ? t->state[i] : 0;
		open += v;
		prom_sample(p, "foobar_webd_connections", (unsigned long long)v,
		    "state", st[i], PROM_END);
	}
	prom_family(p, "foobar_webd_connections_active", "gauge",
	    "Open client connections (stub_status Active connections).");
	prom_sample(p, "foobar_webd_connections_active",
	    (unsigned long long)open, PROM_END);
}

static void
metrics_text_fcgi(struct prom *p, const struct wmetrics *t, size_t nbe)
{
	static const char *code[MC_NERR] = { "502", "503", "504" };
	size_t i, j;

	prom_family(p, "foobar_webd_fastcgi_errors_total", "counter",
	    "Forwarded requests answered with an error of the FastCGI "
	    "backend: 502 (refused, broken), 503 (overloaded), 504 (timed "
	    "out).");
	for (i = 0; i < nbe; i++)
		for (j = 0; j < MC_NERR; j++)
			prom_sample(p, "foobar_webd_fastcgi_errors_total",
			    t->fcgi_errors[i][j], "backend", M.be[i], "code",
			    code[j], PROM_END);
}

char *
metrics_render(size_t *len)
{
	struct wmetrics *t = calloc(1, sizeof(*t));
	const struct wmetrics *m;
	struct prom p;
	size_t nloc, nbe;

	if (t == NULL)
		return NULL;
	pthread_mutex_lock(&M.lock);
	metrics_sum(t, &M.retired);
	for (m = M.live; m != NULL; m = m->next)
		metrics_sum(t, m);
	nloc = M.nloc + (M.nloc == METRICS_NAMES - 1 &&
	    M.loc[METRICS_NAMES - 1] != NULL);
	nbe = M.nbe + (M.nbe == METRICS_NAMES - 1 &&
	    M.be[METRICS_NAMES - 1] != NULL);
	prom_init(&p);
	prom_family(&p, "foobar_webd_build_info", "gauge",
	    "Always 1, with the version of foobar-webd.");
	prom_sample(&p, "foobar_webd_build_info", 1, "version",
	    FOOBAR_VERSION, PROM_END);
	prom_family(&p, "foobar_webd_start_time_seconds", "gauge",
	    "When the process started serving, in seconds since the epoch.");
	prom_sample(&p, "foobar_webd_start_time_seconds",
	    (unsigned long long)M.start, PROM_END);
	metrics_text_requests(&p, t, nloc);
	metrics_text_conns(&p, t);
	metrics_text_fcgi(&p, t, nbe);
	pthread_mutex_unlock(&M.lock);
	free(t);
	if (p.failed) {
		prom_free(&p);
		return NULL;
	}
	*len = p.len;
	return p.buf;
}
