/* foobar/app.h - the module API of foobar-appd (see foobar-app(3)).
 *
 * A module is a shared object that exports one function,
 *
 *	const struct foobar_app *foobar_app_entry_v1(void);
 *
 * returning a table whose api_version is FOOBAR_APP_API_VERSION. appd
 * loads the module in each fresh worker process (never reloads it in
 * place), calls init once, handle once per request, fini at exit. A worker
 * runs one request at a time, so a module needs no locking. The functions
 * below are provided by foobar-appd itself; build a module with
 * "cc -shared -fPIC" and leave them undefined. */
#ifndef FOOBAR_APP_H
#define FOOBAR_APP_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FOOBAR_APP_API_VERSION 1
#define FOOBAR_APP_ENTRY "foobar_app_entry_v1"

struct foobar_req;	/* one request; valid during handle() only */
struct st_mysql;	/* MYSQL from <mysql.h> */

struct foobar_app {
	unsigned api_version;	/* FOOBAR_APP_API_VERSION */
	const char *name;	/* for the log */
	/* Once per worker, after fork. Returns 0, or -1: the worker exits
	 * and the module is not used. May be NULL. */
	int (*init)(void **ctx);
	/* Once per request. Returns 0 when it answered (even with an error
	 * status), -1 for an internal error: appd answers 500 when nothing
	 * was written yet. */
	int (*handle)(void *ctx, struct foobar_req *req);
	/* When the worker exits normally. May be NULL. */
	void (*fini)(void *ctx);
};

const struct foobar_app *foobar_app_entry_v1(void);

/* The request. Strings are NUL-terminated and live until handle()
 * returns. */
const char *foobar_req_method(struct foobar_req *req);	/* "GET" */
const char *foobar_req_path(struct foobar_req *req);	/* "/api/messages" */
const char *foobar_req_query(struct foobar_req *req);	/* "" when none */
/* A request header by its HTTP name ("Content-Type", case-insensitive),
 * or NULL. */
const char *foobar_req_header(struct foobar_req *req, const char *name);
/* A FastCGI parameter by name ("REMOTE_ADDR"), or NULL. */
const char *foobar_req_param(struct foobar_req *req, const char *name);
/* The body length from CONTENT_LENGTH, -1 when unknown. */
long long foobar_req_content_length(struct foobar_req *req);
/* Reads up to len bytes of the body. Returns the bytes read, 0 at its
 * end, -1 when the client went away or was too slow. */
ssize_t foobar_req_read(struct foobar_req *req, void *buf, size_t len);

/* The worker's MySQL connection (utf8mb4, from [database]), or NULL while
 * the database is unreachable (appd retries with a back-off, so this is
 * fast). */
struct st_mysql *foobar_req_db(struct foobar_req *req);
/* Tells appd the connection is broken (server gone, lost, killed); it is
 * closed, and the next foobar_req_db() opens a new one at once. */
void foobar_req_db_broken(struct foobar_req *req);

/* The response: status and headers first, then the body. The first
 * foobar_resp_write() sends the head. Each returns 0, or -1 when the
 * client went away (stop writing then). */
int foobar_resp_status(struct foobar_req *req, int status);
int foobar_resp_header(struct foobar_req *req, const char *name,
    const char *value);
int foobar_resp_write(struct foobar_req *req, const void *buf, size_t len);
int foobar_resp_printf(struct foobar_req *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Writes one line to appd's log (worker stderr, prefixed with the pid). */
void foobar_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif
