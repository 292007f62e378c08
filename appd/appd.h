/* appd.h - foobar-appd, the FastCGI application server: one master that
 * owns the listening socket and supervises pre-forked workers. */
#ifndef FOOBAR_APPD_H
#define FOOBAR_APPD_H

#include <stddef.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "foobar/app.h"
#include "prom.h"

#define APPD_DEFAULT_CONFIG "/etc/foobar/appd.conf"
#define APPD_MAX_WORKERS 256
/* Connections one worker keeps open at once (kept-alive fronts). */
#define APPD_MAX_CONNS 64
/* Exit status of a worker that could not load its module. */
#define EXIT_CONFIG_WORKER 3

/* conf.c */
struct appd_conf {
	/* [server] */
	char *listen;
	long long workers;
	long long max_requests;
	long long request_timeout;	/* ms */
	long long queue_timeout;	/* ms before OVERLOADED */
	long long idle_timeout;		/* ms a kept connection may idle */
	char *status_path;
	/* [app] */
	char *module;
	/* [cgi] */
	char *cgi_prefix;
	char *cgi_root;
	long long cgi_timeout;		/* ms */
	long long cgi_max_output;	/* bytes */
	/* [database] */
	char *db_option_file;
	char *db_group;
	long long db_connect_timeout;	/* ms */
	/* [metrics] */
	char *metrics_listen;		/* "off", or an address */
	long long slow_request;		/* ms; 0: none is slow */
};

/* Loads path into c (defaults first). Returns 0, or -1 with
 * "PATH:LINE: message" in err. */
int appd_conf_load(struct appd_conf *c, const char *path, char *err,
    size_t errlen);
void appd_conf_free(struct appd_conf *c);

/* scoreboard (master.c): one slot per worker in shared memory. */
enum appd_slot_state {
	SLOT_FREE = 0,
	SLOT_STARTING,	/* forked, loading the module */
	SLOT_IDLE,	/* waiting for requests */
	SLOT_BUSY,	/* running a request */
	SLOT_EXITING	/* draining, takes no new connections */
};

/* What a worker counts for /metrics (its only writer; the master reads
 * it, and folds it into appd_board.retired when the worker is gone). */
struct appd_counters {
	uint64_t requests[5];	/* answered, by status class 1xx .. 5xx */
	uint64_t accepted;	/* connections accepted */
	uint64_t slow;		/* requests longer than slow_request */
	uint64_t db_connect_errors;
	uint64_t db_lost;	/* connections found broken */
	uint64_t db_reconnects;	/* connections made after a failure */
	struct prom_hist duration;
};

/* Why a worker was replaced. */
enum { RESTART_MAX_REQUESTS, RESTART_RELOAD, RESTART_TIMEOUT,
	RESTART_CRASH, RESTART_NCAUSES };

struct appd_slot {
	int state;		/* enum appd_slot_state, atomic */
	pid_t pid;
	unsigned gen;		/* config generation */
	int retire;		/* master asked it to finish and exit */
	uint64_t requests;	/* served by this worker */
	int64_t busy_since_ms;	/* monotonic, when SLOT_BUSY */
	int64_t started_ms;
	char method[8];
	char uri[120];
	int db_up;		/* has a database connection (atomic) */
	struct appd_counters m;
};

struct appd_board {
	int64_t start_ms;	/* wall clock, ms */
	uint64_t accepted;	/* requests of workers that already exited */
	uint64_t overloaded;	/* answered FCGI_OVERLOADED */
	uint64_t killed;	/* workers killed for request_timeout */
	uint64_t respawned;
	/* metrics kept by the master */
	struct appd_counters retired;	/* of workers that exited */
	uint64_t restarts[RESTART_NCAUSES];
	uint64_t all_busy;	/* times every worker was seen busy */
	unsigned busy_max;	/* most workers seen busy at once */
	unsigned listen_queue_max;	/* longest listen queue seen */
	unsigned nslots;
	struct appd_slot slot[APPD_MAX_WORKERS * 2];
};

/* util.c */
int64_t appd_now_ms(void);	/* CLOCK_MONOTONIC */
uint64_t appd_now_us(void);	/* CLOCK_MONOTONIC */
/* Writes all of buf to the non-blocking fd, waiting up to timeout_ms for
 * each chunk. Returns 0, or -1 (errno; ETIMEDOUT on timeout). */
int appd_write_all(int fd, const void *buf, size_t len, int timeout_ms);

/* Sends fd over the Unix socket sock (SCM_RIGHTS). Returns 0 or -1. */
int appd_send_fd(int sock, int fd);
/* Receives one fd from sock. Returns it, or -1 (errno; 0 at EOF). */
int appd_recv_fd(int sock);

/* status.c: the status page, text or JSON. Returns a malloc'd string or
 * NULL. */
char *appd_status_render(const struct appd_board *b, int json);

/* metrics.c - /metrics, answered by the master */

/* A worker's request ended with status after usec microseconds. */
void appd_metrics_request(struct appd_counters *m, int status,
    uint64_t usec, long long slow_ms);

/* Adds n to one of a worker's counters. */
void appd_metrics_add(uint64_t *c, uint64_t n);

/* Folds a gone worker's counters into the board's retired totals. */
void appd_metrics_retire(struct appd_board *b, struct appd_counters *m);

/* The listen queue of the FastCGI socket: waiting connections and the
 * backlog. TCP: TCP_INFO; Unix: sock_diag (not inside a private network
 * namespace). 0, or -1 when it cannot be known. */
int appd_listen_queue(int fd, unsigned *queue, unsigned *backlog);

/* Samples what the master watches between scrapes (busy workers, the
 * listen queue) into the board's high-water marks. */
void appd_metrics_sample(struct appd_board *b, int listen_fd, unsigned busy,
    int all_busy_now);

/* The whole scrape (Prometheus text 0.0.4), malloc'd with *len bytes, or
 * NULL. */
char *appd_metrics_render(const struct appd_board *b, int listen_fd,
    size_t *len);

/* The listener: takes fd (a listening socket, or -1 for none). */
void appd_metrics_init(int fd);

/* In a new worker: closes the listener's fds (the master's). */
void appd_metrics_forget(void);

/* Adds the listener's fds to pfd (room for APPD_METRICS_FDS); returns how
 * many. */
#define APPD_METRICS_FDS 9
unsigned appd_metrics_pollfds(struct pollfd *pfd);

/* Handles the events of those fds (pfd as filled, n of them): accepts,
 * reads requests, answers them from b. Bounded: never waits long. */
void appd_metrics_events(const struct pollfd *pfd, unsigned n,
    const struct appd_board *b, int listen_fd);

/* worker.c */
struct appd_worker_args {
	const struct appd_conf *conf;
	struct appd_board *board;
	int slot;
	int listen_fd;
	int chan_fd;	/* SOCK_SEQPACKET to the master: connection hand-over */
};
/* Runs a worker until it is told to stop or reaches max_requests.
 * Never returns. */
void appd_worker_run(const struct appd_worker_args *a)
    __attribute__((noreturn));

/* master.c */
int appd_master_run(struct appd_conf *conf, const char *config_path,
    int listen_fd);

/* cgi_resp.c: the header block of a CGI response (pure), read with
 * lib/cgihead.h. */
struct appd_cgi_head {
	int status;		/* from Status:, Location: 302, else 200 */
	char *headers;		/* "Name: value\r\n" lines except Status:,
				 * malloc'd */
	size_t headers_len;
	int has_type;
	int has_location;
};

/* Parses the header block (len bytes, from cgihead_end) into h.
 * Returns 0, or -1 with *err for a malformed block (bad line, bad Status,
 * no Content-Type and no Location). Free h->headers with free(). */
int appd_cgi_head_parse(const char *buf, size_t len,
    struct appd_cgi_head *h, const char **err);

/* cgi.c */
/* Runs the CGI script for path (under [cgi] prefix). Returns 0 when a
 * response was sent, -1 when nothing could be sent (caller answers). */
int appd_cgi_run(struct foobar_req *r, const struct appd_conf *conf,
    const char *path);

/* worker.c: pieces of the request used by cgi.c */
/* Calls fn for each FastCGI parameter. */
void appd_req_each_param(struct foobar_req *r,
    void (*fn)(void *arg, const char *name, const char *value), void *arg);
/* Reads body bytes; see foobar_req_read. */
ssize_t appd_req_read(struct foobar_req *r, void *buf, size_t len);
/* Raw response bytes (a CGI head already normalised, or body). */
int appd_resp_raw(struct foobar_req *r, const void *buf, size_t len);
/* The client fd, for poll() next to the script's pipes; -1 when the body
 * has been read completely. */
int appd_req_body_fd(struct foobar_req *r);
/* Before a long request (a CGI script): hands the worker's other idle
 * connections to the master, so that their next requests go to idle
 * workers instead of waiting behind this one. */
void appd_worker_shed_idle(struct foobar_req *r);
/* Sends a small error response (status + plain text). */
int appd_resp_error(struct foobar_req *r, int status, const char *msg);

#endif
