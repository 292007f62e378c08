/* http.h - what http.c, loop.c and static.c share: the connections,
 * requests, loop threads and servers of webd's HTTP side, and the
 * functions that cross between those three files. The only header of
 * webd that includes <microhttpd.h>: no other file includes this one. */
#ifndef FOOBAR_WEBD_HTTP_H
#define FOOBAR_WEBD_HTTP_H

#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>

#include "webd.h"

struct ipcount;
struct loop_mhd;

/* The largest body sent with its header as one TLS record (http_cork()). */
#define HTTP_CORK_MAX (12 * 1024)

/* One client connection (MHD's socket context). */
struct conn {
	struct server *srv;
	int fd;
	int counted;		/* in the per-address count */
	long long deadline;	/* monotonic ms; 0: none (atomic) */
	int idle;		/* between two requests (atomic) */
	int lingering;		/* answered mid-body; closing (atomic) */
	int mstate;		/* WM_* for metrics */
	int tls;		/* an HTTPS connection */
	int tls_done;		/* its handshake is complete */
	/* in its loop's epoll until its first request (http_hs_watch()), and
	 * while GnuTLS holds part of a response (http_uncork()) */
	struct webd_ev hs_ev;
	int hs_epfd;		/* that epoll, or -1 */
	struct tls_in tls_in;	/* what GnuTLS read ahead (tls.c) */
	/* suspended until GnuTLS has sent what it holds of the answer before
	 * (http_flush_wait()) */
	struct req *flush_wait;
	int flushing;		/* so (atomic) */
	int requests;		/* requests begun on it (atomic) */
	int swept;		/* closed by server_sweep() */
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	char saddr[INET6_ADDRSTRLEN];	/* our end, once asked for */
	char sport[8];
	struct conn *prev, *next;
};

/* One request (MHD's request context, made by the URI log callback). */
struct req {
	struct conn *conn;
	char addr[64];		/* the client: the peer, or behind a proxy */
	char *uri;		/* the raw request target */
	char method[16];
	char version[12];
	int started;
	int status;
	unsigned long long bytes;
	long long body;		/* request body bytes received */
	/* a chunked body: webd counts its length for CONTENT_LENGTH, and
	 * closes the connection after the answer */
	int chunked;
	int too_big;
	int aborted;		/* answered mid-body: drop the rest */
	long long body_start;	/* monotonic ms */
	long long body_deadline;	/* 0: no body under way */
	struct req *bprev, *bnext;	/* the loop's bodies under way */
	int bad_path;		/* answer 400 */
	int acme;		/* served from acme_root */
	int redirect;		/* redirect_https: answer 301 */
	struct fwd_req *fr;	/* forwarded to FastCGI */
	struct MHD_Connection *mc;
	struct loop *loop;	/* the thread that forwards it */
	struct req *fprev, *fnext;	/* the loop's forwarded requests */
	/* its answer's body comes from a callback, which libmicrohttpd
	 * 0.9.75 pushes as it sends and never corks the socket for */
	int pushed;
	uint64_t t0;		/* the request line came (metrics_now_us) */
	unsigned mloc;		/* metrics_location() */
};

enum { LOOP_QUIESCE = 1, LOOP_STOP = 2 };

/* A loop thread. */
struct loop {
	struct webd_ev ev;	/* the eventfd: requests from the main thread */
	pthread_t thread;
	int started;
	int epfd, evfd;
	struct loop_mhd *mhd;
	size_t nmhd;
	struct fwd_loop *fwd;
	struct req *fwds;	/* forwarded requests in flight */
	struct req *bodies;	/* requests whose body is coming */
	long long body_tick;	/* next look at their deadlines */
	struct wmetrics *metrics;	/* this thread's counters */
	struct server *srv;
	int run_mhd;		/* a daemon has work: MHD_run() it */
	struct tls_turn turn;	/* what its TLS connections did */
	int tls_idle;		/* the last turn did nothing for them */
	int cmd;		/* LOOP_* (atomic) */
	int quiesced;
};

#define HTTP_IP_BUCKETS 1024

struct server {
	struct webd_config *cf;
	struct accesslog *al;
	struct cache *cache;
	int rootfd;
	char rootpath[PATH_MAX];
	struct loop *loops;
	size_t nloops;
	pthread_mutex_t lock;	/* conns, ips */
	struct conn *conns;
	struct ipcount *ips[HTTP_IP_BUCKETS];
	unsigned nconns;	/* atomic */
	int draining;		/* atomic */
	int close_idle;		/* atomic */
	unsigned rr;		/* round robin over backends (atomic) */
	/* requests refused as ambiguous or malformed, by http_strict() or
	 * libmicrohttpd itself (atomic) */
	unsigned long long requests_refused;
	unsigned *mloc;		/* metrics_location() of each location */
	struct tls_ctx *tls;	/* the certificates of the HTTPS daemons */
	unsigned https_port;	/* of the first HTTPS socket, or 443 */
	int acmefd;		/* acme_root, or -1 */
	char acmepath[PATH_MAX];
	char hsts[32];		/* the Strict-Transport-Security value */
};

/* http.c */

/* The loop of the calling thread (MHD's callbacks run on it); NULL on
 * the main thread. */
extern __thread struct loop *http_loop;

/* A callback of libmicrohttpd ran: the turn did something. */
void http_moved(void);

/* The monotonic clock in ms. */
long long http_now_ms(void);

/* A request header's value, or NULL. */
const char *http_header(struct MHD_Connection *c, const char *name);

/* Strict-Transport-Security on https answers, when [tls] hsts is set. */
void http_hsts(struct server *s, const struct req *r,
    struct MHD_Response *resp);

/* Queues resp (bytes of body) with status for r; fresh: a response of
 * this request only (headers added, then destroyed), not a shared one. */
enum MHD_Result http_queue(struct server *s, struct MHD_Connection *c,
    struct req *r, unsigned status, struct MHD_Response *resp,
    unsigned long long bytes, int fresh);

/* An error page; close asks for the connection to be closed after it. */
enum MHD_Result http_error(struct server *s, struct MHD_Connection *c,
    struct req *r, unsigned status, int close);

/* Answers status in the middle of r's body and closes the connection. */
void http_body_abort(struct req *r, unsigned status);

/* A daemon of s in external-loop mode on the listening socket fd (taken
 * over), limit connections at most; NULL when it did not start. */
struct MHD_Daemon *http_daemon(struct server *s, int fd, int tls,
    unsigned limit);

/* loop.c */

/* A loop with a daemon on each of fds[0..nfds-1] (duplicated); its thread
 * (loop_main()) is started later. Returns 0, or -1 with a message in
 * err. */
int loop_init(struct loop *l, struct server *s, const struct server_socket *fds,
    size_t nfds, unsigned nloops, unsigned limit, char *err, size_t errlen);

/* The thread of loop arg, until loop_post(LOOP_STOP). */
void *loop_main(void *arg);

/* Asks l's thread for cmd (LOOP_*). */
void loop_post(struct loop *l, int cmd);

/* Stops l's thread (if it runs) and frees what it holds. */
void loop_free(struct loop *l);

/* static.c */

/* Answers r (GET or HEAD) with the file for rel, the path relative to the
 * root (or acme_root) that path_normalize() made, dir when it ended with
 * a slash. */
enum MHD_Result static_serve(struct server *s, struct MHD_Connection *c,
    struct req *r, const char *rel, int dir);

/* Frees a cached response (the cache's free function). */
void static_resp_free(void *p);

#endif
