/* webd.h - foobar-webd's private header, prototypes grouped by file. */
#ifndef FOOBAR_WEBD_H
#define FOOBAR_WEBD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"

#define WEBD_PATH_MAX 4096

/* path.c - pure */

/* Percent-decodes raw (the path part of the request target, rawlen bytes)
 * once and normalises it: "." and empty segments go, ".." removes the
 * previous segment. Encoded slashes, NUL, other control bytes, backslashes
 * and ".." above the root are refused. Returns 0 with the path relative to
 * the root in out ("" for the root, "a/b" otherwise) and *dir set when it
 * ended with a slash; -1 with a static message in *err. */
int path_normalize(const char *raw, size_t rawlen, char *out, size_t outlen,
    int *dir, const char **err);

/* Percent-encodes src for a Location header (keeps '/'). Returns the
 * length written; truncates to fit dstlen. */
size_t path_encode(char *dst, size_t dstlen, const char *src);

/* range.c - pure */

enum { RANGE_IGNORE, RANGE_OK, RANGE_UNSATISFIABLE };

/* Parses a Range header (len bytes) for a representation of size bytes.
 * RANGE_OK with the byte positions in *first and *last (inclusive) for one
 * satisfiable range; RANGE_UNSATISFIABLE (answer 416); RANGE_IGNORE for
 * anything else, including several ranges (answer 200 with everything). */
int range_parse(const char *hdr, size_t len, long long size,
    long long *first, long long *last);

/* cond.c - pure */

enum { COND_PROCEED = 0, COND_NOT_MODIFIED = 304, COND_FAILED = 412 };

/* The request's conditional headers; NULL when absent. */
struct cond_req {
	const char *if_match;
	const char *if_none_match;
	const char *if_modified_since;
	const char *if_unmodified_since;
	int get_or_head;
};

/* Evaluates the preconditions in RFC 9110 §13.2.2 order against the
 * file's strong etag (with its quotes) and mtime. Returns COND_PROCEED,
 * COND_NOT_MODIFIED or COND_FAILED. */
int cond_evaluate(const struct cond_req *r, const char *etag, time_t mtime);

/* 1 when a Range header is to be honoured given If-Range (NULL: absent),
 * 0 when the whole representation must be sent. */
int cond_range_applies(const char *if_range, const char *etag, time_t mtime);

/* Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime). 0 or -1. */
int cond_date_parse(const char *s, time_t *out);

/* Writes an IMF-fixdate (29 characters) into buf (at least 30 bytes).
 * Returns its length, 0 on failure. */
size_t cond_date_format(char *buf, size_t len, time_t t);

/* mime.c - pure */

/* The Content-Type for a file name, "application/octet-stream" when the
 * extension is unknown. Never NULL. */
const char *mime_type(const char *name);

/* 1 when the table is sorted (a unit test checks it). */
int mime_table_sorted(void);

/* strict.c - pure */

/* Checks a request header block (the request line through the empty line
 * that ends it, len bytes, as the client sent them) the way RFC 9112 asks
 * of a server and nginx and HAProxy read it: nothing whose framing two
 * parsers could read differently. Returns 0 when acceptable; else the
 * status to answer (400; 501 for a transfer coding other than chunked)
 * with a static reason in *why. */
int strict_check(const char *blk, size_t len, const char **why);

/* Checks one trailer field of a chunked body (name without its colon,
 * value without the white space around it): 0, or -1 with a static
 * reason in *why. */
int strict_trailer(const char *name, size_t nlen, const char *value,
    size_t vlen, const char **why);

/* config.c */

struct webd_location {
	char *prefix;
	struct conf_list fastcgi_pass;	/* "unix:/path" or "HOST:PORT" */
	long long connect_timeout;	/* ms */
	long long read_timeout;		/* ms */
	int keep_conn;			/* FCGI_KEEP_CONN */
	long long keepalive;		/* idle connections kept per backend */
};

/* A [tls] or [tls NAME] section. */
struct webd_tls {
	char *name;			/* NULL: [tls], the default */
	char *certificate;		/* PEM, leaf first */
	char *key;			/* PEM */
	long long hsts;			/* [tls] only: seconds, 0: none */
};

struct webd_config {
	char *path;			/* the file read */
	struct conf_list listen;
	struct conf_list listen_tls;
	int redirect_https;
	char *acme_root;		/* "off" or a directory */
	char *root;
	char *index;
	char *access_log;		/* "stderr", "off" or a file path */
	long long max_body;		/* bytes */
	long long header_timeout;	/* ms */
	long long keepalive_timeout;	/* ms */
	long long max_connections;
	long long max_connections_per_ip;
	long long max_header_size;	/* bytes */
	long long threads;		/* 0: one per CPU */
	long long cache_size;		/* bytes; 0 disables the cache */
	long long cache_max_file;	/* bytes */
	long long cache_valid;		/* ms a check of a cached file holds */
	long long drain_timeout;	/* ms */
	long long body_buffer_size;	/* bytes of a body kept in memory */
	long long body_timeout;		/* ms for a whole request body */
	long long body_min_rate;	/* bytes/s after body_rate_grace */
	long long body_rate_grace;	/* ms */
	char *body_temp_path;		/* where larger bodies go */
	char *maintenance_file;		/* "off", or 503 while it exists */
	int gzip_static;
	struct conf_list trusted_proxy;	/* normalized addresses */
	char *metrics_listen;		/* [metrics] listen, or "off" */
	struct webd_location **locations;
	size_t nlocations;
	struct webd_tls **tls;		/* [tls] first when there is one */
	size_t ntls;
};

/* Reads and checks path. Returns a new config, or NULL with "FILE:LINE:
 * message" or "FILE: message" in err. */
struct webd_config *config_load(const char *path, char *err, size_t errlen);

/* Frees a config; NULL is fine. */
void config_free(struct webd_config *cf);

/* The [tls] section, or NULL. */
const struct webd_tls *config_tls_default(const struct webd_config *cf);

/* The location whose prefix is the longest one that starts path (with its
 * leading slash), or NULL for plain static files. */
const struct webd_location *config_route(const struct webd_config *cf,
    const char *path);

/* file.c */

/* Opens rel (relative, "" for the root) below rootfd without ever
 * leaving it, following symlinks only while they stay below: openat2()
 * with RESOLVE_BENEATH, or openat() and a check of the real path where
 * openat2 is missing. rootpath is the root's real path. Returns the fd,
 * or -1 with the HTTP status to answer in *status (403, 404 or 500). */
int file_open(int rootfd, const char *rootpath, const char *rel, int *status);

/* Tries openat2() (1, the default) or goes straight to the real-path
 * check (0; for tests). */
void file_use_openat2(int on);

/* Formats the strong validator of a file into buf ("\"ino-mtime-size\"",
 * quotes included). */
void file_etag(char *buf, size_t len, const struct stat *st);

/* 1 when Accept-Encoding (may be NULL) accepts gzip. */
int file_accepts_gzip(const char *accept_encoding);

/* cache.c - small files kept in memory with their ready-made response */

struct cache;

struct cache_entry {
	char *key;
	int gz;			/* the precompressed variant of key */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct timespec ctime;
	char etag[64];
	int vary;		/* gzip_static found both variants */
	long long checked;	/* monotonic ms of the last look at the disk
				 * (atomic) */
	const unsigned char *data;	/* owned by resp and resp_tls */
	void *resp;		/* the shared 200 response */
	void *resp_tls;		/* the same for HTTPS, or NULL (static.c) */
	struct cache_entry *next;
};

/* A cache holding at most max_bytes of file data; resp_free releases an
 * entry's response. NULL when out of memory. */
struct cache *cache_new(size_t max_bytes, void (*resp_free)(void *));

/* Frees the cache and releases every response; NULL is fine. */
void cache_free(struct cache *c);

/* Lookups hold the read lock until cache_unlock(). */
void cache_rdlock(struct cache *c);
void cache_unlock(struct cache *c);

/* With the read lock held: the entry for key/gz that still matches st
 * (same file, size, mtime and ctime), or NULL. */
const struct cache_entry *cache_find(struct cache *c, const char *key,
    int gz, const struct stat *st);

/* With the read lock held: the entry for key/gz whose file was found
 * unchanged on disk at most valid ms before now (cache_valid), or NULL.
 * It is served without a look at the disk. */
const struct cache_entry *cache_find_fresh(struct cache *c, const char *key,
    int gz, long long now, long long valid);

/* The file of e was found unchanged on disk at now. */
void cache_checked(const struct cache_entry *e, long long now);

/* Takes the write lock and inserts e (malloc'd, with key malloc'd),
 * replacing an older entry for the same key/gz; flushes everything when
 * full. Returns 0, or -1 (e is freed) when e alone exceeds the cache. */
int cache_insert(struct cache *c, struct cache_entry *e);

/* accesslog.c */

struct accesslog;

/* Opens target: "stderr", "off" or a file (appended). NULL with err. */
struct accesslog *accesslog_open(const char *target, char *err,
    size_t errlen);

/* Closes; NULL is fine. */
void accesslog_close(struct accesslog *al);

/* 1 when lines are written at all. */
int accesslog_enabled(const struct accesslog *al);

/* The fields of one combined-format line; strings may be NULL. */
struct accesslog_entry {
	const char *addr;
	time_t when;
	const char *method;
	const char *uri;
	const char *version;
	int status;
	unsigned long long bytes;
	const char *referer;
	const char *user_agent;
	const char *scheme;	/* "http" (also for NULL) or "https" */
};

/* Formats a combined-format line followed by the scheme (without
 * newline) into buf, escaping client data. Pure. Returns the length. */
size_t accesslog_format(char *buf, size_t len,
    const struct accesslog_entry *e);

/* Writes one line. */
void accesslog_write(struct accesslog *al, const struct accesslog_entry *e);

/* cgi.c - pure */

/* Calls fn for each well-formed "Name: value" line of a CGI response
 * header (hlen bytes, through its blank line: see cgihead_end() in
 * lib/cgihead.h), up to the blank line; names that are not tokens, lines
 * with NUL or CR, and overlong lines are skipped. */
void cgi_header_each(const char *hdr, size_t hlen,
    void (*fn)(void *arg, const char *name, const char *value), void *arg);

/* body.c - a request body, whole, before it is forwarded */

struct body;

/* The monotonic time (ms) by which a body that started at start and has
 * bytes so far must be complete: start + timeout, or sooner when it comes
 * slower than min_rate bytes/s (0: no rate) on average after grace ms.
 * Pure. */
long long body_deadline(long long start, long long bytes, long long timeout,
    long long min_rate, long long grace);

/* An empty body keeping up to max bytes in memory, the rest in an
 * unlinked file in dir (which must outlive it). NULL when out of memory. */
struct body *body_new(size_t max, const char *dir);

/* Frees b and closes its file; NULL is fine. */
void body_free(struct body *b);

/* Appends len bytes. 0, or -1 with errno (out of memory, file errors). */
int body_append(struct body *b, const void *data, size_t len);

/* Bytes held. */
long long body_size(const struct body *b);

/* 1 when part of the body went to a file. */
int body_in_file(const struct body *b);

/* Up to max bytes from offset off: > 0 with *data pointing at them (in
 * memory, or read into buf), 0 at the end, -1 on a read error. */
long body_get(struct body *b, long long off, void *buf, size_t max,
    const void **data);

/* An event source in a loop thread's epoll set: data.ptr points to one,
 * and fn handles its events. */
struct webd_ev {
	void (*fn)(struct webd_ev *ev, unsigned events);
};

/* fwd.c - FastCGI forwarding, the client side. Every function runs on the
 * loop thread that owns the fwd_loop. */

struct fwd_loop;
struct fwd_req;

/* How fwd pauses and wakes the HTTP side of a request: suspend is called
 * inside fwd_headers() and fwd_read() when they must wait, as the last
 * thing they do; resume when there is something to do. */
struct fwd_hooks {
	void (*suspend)(void *arg);
	void (*resume)(void *arg);
	void *arg;
};

/* The forwarding state of one of nloops loop threads, whose backend
 * connections go into epfd (each with a struct webd_ev); the threads
 * share fastcgi_keepalive. NULL when out of memory. */
struct fwd_loop *fwd_loop_new(int epfd, unsigned nloops);

/* Timeouts (504) and cleanup; call after each batch of events. Returns
 * the milliseconds until the next deadline, or -1 for none. */
long long fwd_loop_tick(struct fwd_loop *fl);

/* Closes every backend connection and frees fl; the HTTP side has
 * released its requests. NULL is fine. */
void fwd_loop_free(struct fwd_loop *fl);

/* A request for loc's backends; loc and body_dir (the server's
 * configuration) must outlive it. Its body is kept whole, body_mem bytes
 * in memory and the rest in a file in body_dir, before fwd_start(). NULL
 * when out of memory. */
struct fwd_req *fwd_new(struct fwd_loop *fl, const struct webd_location *loc,
    size_t body_mem, const char *body_dir, const struct fwd_hooks *hooks);

/* Adds a FastCGI parameter. 0, or -1 when out of memory. */
int fwd_param(struct fwd_req *fr, const char *name, size_t nlen,
    const char *value, size_t vlen);

/* Sends the request, with the whole body taken so far, to a backend (a
 * pooled connection, or a new one); rr picks the first backend (round
 * robin). */
void fwd_start(struct fwd_req *fr, unsigned rr);

/* 1 once fwd_start() was called. */
int fwd_started(struct fwd_req *fr);

/* The fastcgi_pass address last tried, or NULL before any. */
const char *fwd_last_backend(struct fwd_req *fr);

/* Keeps request body bytes, before fwd_start(). 0, or -1 with errno (out
 * of memory, the temporary file). */
int fwd_body(struct fwd_req *fr, const char *data, size_t len);

/* Bytes of body kept. */
long long fwd_body_len(struct fwd_req *fr);

/* 1 with the backend's CGI response header (lines ending in a blank
 * line) in hdr/hlen; 0 when not there yet (suspended); -1 with the status
 * to answer (502, 503, 504). */
int fwd_headers(struct fwd_req *fr, unsigned *status, const char **hdr,
    size_t *hlen);

/* 1 with the whole response body in data/len when the backend has
 * finished already (valid until fwd_release()); else 0. */
int fwd_whole_body(struct fwd_req *fr, const char **data, size_t *len);

/* Response body bytes into buf: > 0 bytes; 0 none yet (suspended); -1 the
 * end; -2 an error (cut the response). */
long fwd_read(struct fwd_req *fr, char *buf, size_t max);

/* The HTTP side is done with the request; NULL is fine. */
void fwd_release(struct fwd_req *fr);

/* Ends the request with an error and wakes the HTTP side (at stop). */
void fwd_cancel(struct fwd_req *fr);

/* metrics.c - counters for /metrics: one struct wmetrics per loop thread,
 * written only by that thread, summed by the scrape. */

struct wmetrics;

/* A connection's state for the connections gauge. */
enum { WM_READING, WM_WRITING, WM_IDLE, WM_NSTATES };

/* A new thread's counters, registered for the scrape; NULL when out of
 * memory (then nothing is counted for that thread). */
struct wmetrics *metrics_slot_new(void);

/* Folds a finished thread's counters into the retired totals and frees
 * them; NULL is fine. */
void metrics_slot_retire(struct wmetrics *m);

/* The label index of a location block (NULL: no block, "static"). */
unsigned metrics_location(const char *prefix);

/* Makes the error counters of a backend (a fastcgi_pass address) show
 * before its first error. */
void metrics_backend(const char *addr);

/* A request answered with status after usec microseconds, bytes of body
 * sent; loc from metrics_location(). m may be NULL. */
void metrics_request(struct wmetrics *m, unsigned loc, int status,
    unsigned long long bytes, uint64_t usec);

/* A connection moves from state from to state to (WM_*; -1: not open).
 * From -1 it was accepted; handled is 0 when it is closed at once for a
 * limit. */
void metrics_conn(struct wmetrics *m, int from, int to, int handled);

/* A forwarded request answered 502, 503 or 504 because of backend (its
 * fastcgi_pass address). */
void metrics_fcgi_error(struct wmetrics *m, const char *backend,
    unsigned status);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t metrics_now_us(void);

/* The whole scrape in Prometheus text format 0.0.4 (malloc'd, *len
 * bytes), or NULL when out of memory. */
char *metrics_render(size_t *len);

/* tls.c - certificates and GnuTLS */

struct tls_ctx;

/* A function pointer of no particular type (see tls_cert_callback()). */
typedef void (*tls_fn)(void);

/* The GnuTLS priority string of every TLS listener. */
const char *tls_priorities(void);

/* Makes the session ticket key, once per process. 0, or -1 with err. */
int tls_init(char *err, size_t errlen);

/* Checks that certfile holds a PEM chain whose leaf is valid at now and
 * that keyfile holds its PEM private key. 0, or -1 with a message naming
 * the file in err. */
int tls_check(const char *certfile, const char *keyfile, time_t now,
    char *err, size_t errlen);

/* Loads and checks the certificates of cf's [tls] sections. Returns them
 * (none when cf has no [tls]), or NULL with "FILE:LINE: message" in err. */
struct tls_ctx *tls_load(const struct webd_config *cf, char *err,
    size_t errlen);

/* Frees; NULL is fine. */
void tls_free(struct tls_ctx *t);

/* How many certificates t holds; a line about the ith in buf. */
size_t tls_count(const struct tls_ctx *t);
const char *tls_describe(const struct tls_ctx *t, size_t i, char *buf,
    size_t len);

/* The certificates that handshakes run by the calling thread choose
 * from: each loop thread names its server's. */
void tls_thread_use(const struct tls_ctx *t);

/* The gnutls_certificate_retrieve_function2 that chooses by SNI among
 * the calling thread's certificates, for MHD_OPTION_HTTPS_CERT_CALLBACK
 * (webd.h stays free of GnuTLS types). */
tls_fn tls_cert_callback(void);

/* What the TLS connections of one loop thread did during a turn of its
 * daemons (see tls_turn_owed()). */
struct tls_turn {
	unsigned long moved;	/* bytes read or sent, callbacks run */
	struct tls_in *watch;	/* connections that read since they last
				 * found their socket empty */
};

/* What a TLS connection has read from its socket and GnuTLS has not
 * taken yet (see tls_session_start()). */
struct tls_in {
	int fd;			/* the connection's socket */
	unsigned char *buf;	/* malloc'd, NULL when empty */
	size_t off, len;
	void *session;		/* its gnutls_session_t */
	struct tls_turn *turn;	/* its loop's */
	struct tls_in *wprev, *wnext;	/* in turn->watch */
	int watched;
	int grace;		/* one more turn after GnuTLS ran dry */
	int suspended;		/* waits for a backend, not for its socket */
	int corked;		/* GnuTLS holds what is sent (tls_cork()) */
	int blocked;		/* the socket took only part of the last send */
	/* libmicrohttpd may have corked the socket (TCP_CORK) since webd
	 * last took the cork off (tls_uncork()) */
	int tcp_corked;
};

/* A new TLS connection's gnutls_session_t: enables session tickets, and
 * sets *done to 1 once its handshake is complete (on the thread that
 * runs it). With in (in->fd and in->turn set, the rest zero), GnuTLS reads
 * and writes through it: one recv(2) for a record's header and body
 * together, and what either moves counted in in->turn; in must live as
 * long as the session and be emptied with tls_in_free() after it. 0, or
 * -1 when tickets could not be enabled. */
int tls_session_start(void *session, int *done, struct tls_in *in);

/* Frees what in holds and takes it off its turn's watch. */
void tls_in_free(struct tls_in *in);

/* Makes GnuTLS hold what is sent on the connection until tls_uncork(),
 * so that a response's header and body (libmicrohttpd 0.9.75 sends them
 * with two gnutls_record_send() calls) go out as one record, unless the
 * socket took only part of the last send (the record might then not fit
 * in it either). 1 when corked (also when it still holds part of an
 * earlier answer), 0 when not. */
int tls_cork(struct tls_in *in);

/* Sends what tls_cork() held, as few records as it fits in, and pushes
 * it out of the socket. 0 when done (or nothing was held); 1 when the
 * socket took only part (the rest stays held: call again once it is
 * writable); -1 on an error of the session. */
int tls_uncork(struct tls_in *in);

/* After a turn of the daemons that moved nothing (t->moved unchanged):
 * 1 when a watched connection may still have bytes that libmicrohttpd has
 * not taken (in GnuTLS or read ahead), or took the last of them in that
 * turn and may now want its socket, so that another turn is owed before
 * any event; 0 when only an event can give the TLS connections work.
 * Connections whose socket was found empty leave the watch. */
int tls_turn_owed(struct tls_turn *t);

/* redirect.c - pure */

/* 1 when the request path (as sent, before any query) is under
 * /.well-known/acme-challenge/, which acme_root serves. */
int redirect_is_acme(const char *uri);

/* Writes the https URL for the request target uri (origin form, query
 * kept) on host (the Host header; a port in it is dropped) and port (443
 * is left out) into buf. Returns 0, or -1 when host is not a host name
 * or address, or uri is not in origin form, or it does not fit. */
int redirect_https_url(char *buf, size_t len, const char *host,
    unsigned port, const char *uri);

/* http.c - the servers; with loop.c and static.c (sharing http.h) the only
 * files that speak libmicrohttpd */

struct server;
struct metrics_server;

struct server_socket {
	int fd;
	int tls;		/* 1: HTTPS */
};

/* Starts serving cf on the listening sockets socks[0..nsocks-1] (the
 * caller keeps them; the server uses duplicates), those marked tls with
 * the certificates in tls. Takes ownership of cf, al and tls.
 * Returns the server, or NULL with a message in err. */

struct server *server_start(struct webd_config *cf, struct accesslog *al,
    struct tls_ctx *tls, const struct server_socket *socks, size_t nsocks,
    char *err, size_t errlen);

/* Stops accepting; connections in progress finish, each with
 * "Connection: close"; close_idle also closes idle keep-alive
 * connections at the next sweep. */
void server_quiesce(struct server *s, int close_idle);

/* Connections open now. */
unsigned server_connections(struct server *s);

/* Drops connections past their header or keep-alive deadline (and idle
 * ones after server_quiesce(s, 1)). Call about twice a second. */
void server_sweep(struct server *s);

/* Stops the daemons and frees everything; NULL is fine. */
void server_stop(struct server *s);

/* Requests answered since start by all servers. */
unsigned long long server_requests_total(void);

/* The /metrics listener on its own daemon and thread, on fd (taken over,
 * also on failure). NULL with a message in err. */
struct metrics_server *server_metrics_start(int fd, char *err,
    size_t errlen);

/* Stops it and closes its socket; NULL is fine. */
void server_metrics_stop(struct metrics_server *ms);

/* 1 when the config's root and body_temp_path are directories; else 0
 * with a message. */
int server_check_root(const struct webd_config *cf, char *err,
    size_t errlen);

/* realip.c - the client behind a trusted proxy, pure */

/* Writes the canonical text of IPv4 or IPv6 address s to out. Returns 0,
 * or -1 when s is not an address. */
int realip_normalize(const char *s, char *out, size_t outlen);

/* 1 when peer (as webd prints it) is one of the trusted addresses. */
int realip_trusted(const struct conf_list *trusted, const char *peer);

/* Writes the last address of an X-Forwarded-For value to out, normalized.
 * Returns 0, or -1 when that element is not an address. */
int realip_last(const char *xff, char *out, size_t outlen);

#endif
