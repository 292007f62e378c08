/* guestbook.c - guestbook.so, the default application of foobar-appd:
 *
 *	GET  /api/health		200 {"status":"ok","db":"ok","schema":N}
 *					or 503 with "db":"down"
 *	GET  /api/messages?limit=N&before=ID	newest first, limit <= 100
 *	GET  /api/messages/ID		one message
 *	POST /api/messages		JSON or form {"name","text"} -> 201
 *
 * JSON with jansson; every query a prepared statement on the worker's
 * MySQL connection. */
#include <errno.h>
#include <jansson.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "foobar/app.h"

#define GB_BODY_MAX 65536
#define GB_NAME_MAX 64
#define GB_TEXT_MAX 1000

static int gb_handle(void *ctx, struct foobar_req *req);

static const struct foobar_app gb_app = {
	FOOBAR_APP_API_VERSION, "guestbook", NULL, gb_handle, NULL
};

const struct foobar_app *
foobar_app_entry_v1(void)
{
	return &gb_app;
}

/* --- responses ------------------------------------------------------- */

static int
gb_json(struct foobar_req *req, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	int rc;

	json_decref(j);
	if (s == NULL)
		return -1;
	foobar_resp_status(req, status);
	foobar_resp_header(req, "Content-Type",
	    "application/json; charset=utf-8");
	foobar_resp_header(req, "Cache-Control", "no-store");
	rc = foobar_resp_write(req, s, strlen(s));
	foobar_resp_write(req, "\n", 1);
	free(s);
	return rc;
}

/* Answers with the first element of arr (which it releases). */
static int
gb_json_first(struct foobar_req *req, int status, json_t *arr)
{
	json_t *one = json_incref(json_array_get(arr, 0));

	json_decref(arr);
	return gb_json(req, status, one);
}

static int
gb_error(struct foobar_req *req, int status, const char *msg)
{
	return gb_json(req, status, json_pack("{ss}", "error", msg));
}

static int
gb_method_not_allowed(struct foobar_req *req, const char *allow)
{
	foobar_resp_header(req, "Allow", allow);
	return gb_error(req, 405, "method not allowed");
}

/* 1047 on Galera: "WSREP has not yet prepared node for application
 * use", the node is leaving (a clean shutdown first leaves the cluster)
 * or out of the primary component, and refused the statement. */
#define GB_ER_WSREP_NOT_READY 1047

/* Errors that mean the connection is gone. Over TLS, a connection that
 * the server (or HAProxy, moving the web hosts to another node) closed
 * reads as 2026 (TLS/SSL error: unexpected eof), not 2013. A Galera node
 * that no longer takes queries is as good as gone: a new connection
 * goes to another node. */
static int
gb_db_lost(unsigned e)
{
	return e == 2002 || e == 2003 || e == 2006 || e == 2013 ||
	    e == 2026 || e == 2055 || e == 1927 || e == 4031 || e == 1053 ||
	    e == GB_ER_WSREP_NOT_READY;
}

/* The connection went away before the statement could take effect: it
 * was never sent (2006), or the server aborted it (1053 shutdown, 1927
 * killed) or refused it (1047), as when a Galera node leaves. */
static int
gb_db_not_run(unsigned e)
{
	return e == 2006 || e == 1053 || e == 1927 ||
	    e == GB_ER_WSREP_NOT_READY;
}

/* gb_db_error's answer when the request may be tried again (nothing
 * sent yet). */
#define GB_AGAIN (-2)
enum gb_again { GB_NO_AGAIN, GB_AGAIN_READ, GB_AGAIN_WRITE };

/* 1213: a deadlock, or on Galera a write that lost certification to
 * another node's (the server already tried an autocommit statement
 * again, wsrep_retry_autocommit): rolled back, so it may run again. */
#define GB_ER_DEADLOCK 1213

/* Logs a failed statement and answers 503 (connection lost) or 500.
 * With again set, what another try can make good answers nothing and
 * returns GB_AGAIN: a lost connection (dropped; any read, or a write
 * that did not run) or a deadlock (on the same connection). */
static int
gb_db_error(struct foobar_req *req, MYSQL *db, MYSQL_STMT *st,
    enum gb_again again)
{
	unsigned e = st ? mysql_stmt_errno(st) : mysql_errno(db);
	int lost = gb_db_lost(e) || gb_db_lost(mysql_errno(db));
	int retry = again != GB_NO_AGAIN && (lost ?
	    again == GB_AGAIN_READ || gb_db_not_run(e) :
	    e == GB_ER_DEADLOCK);

	foobar_log("guestbook: database error %u: %s%s", e,
	    st ? mysql_stmt_error(st) : mysql_error(db),
	    retry ? "; trying again" : "");
	if (lost)
		foobar_req_db_broken(req);
	if (retry)
		return GB_AGAIN;
	return lost ? gb_error(req, 503, "database unavailable") :
	    gb_error(req, 500, "database error");
}

/* s as a number: digits only, no sign, no overflow. Returns 0, or -1
 * when malformed. */
static int
gb_parse_num(const char *s, long long *out)
{
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return *end != '\0' || errno == ERANGE ? -1 : 0;
}

/* --- health ---------------------------------------------------------- */

static int
gb_health(struct foobar_req *req)
{
	static const char q[] = "SELECT COALESCE(MAX(version), 0) FROM "
	    "dbmigrate_history WHERE success = 1";
	MYSQL *db = foobar_req_db(req);
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long schema = 0;

	if (db == NULL)
		goto down;
	if (mysql_real_query(db, q, sizeof(q) - 1) != 0) {
		if (mysql_errno(db) == 1146) /* no history table yet */
			goto ok;
		if (gb_db_lost(mysql_errno(db)))
			foobar_req_db_broken(req);
		goto down;
	}
	if ((res = mysql_store_result(db)) == NULL)
		goto down;
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL &&
	    gb_parse_num(row[0], &schema) == -1) {
		foobar_log("guestbook: schema version is not a number");
		mysql_free_result(res);
		return gb_error(req, 500, "database error");
	}
	mysql_free_result(res);
ok:
	return gb_json(req, 200, json_pack("{sssssI}", "status", "ok", "db",
	    "ok", "schema", (json_int_t)schema));
down:
	foobar_resp_header(req, "Retry-After", "1");
	return gb_json(req, 503, json_pack("{ssss}", "status", "error", "db",
	    "down"));
}

/* --- listing --------------------------------------------------------- */

struct gb_row {
	long long id;
	char name[GB_NAME_MAX * 4 + 1];
	char text[GB_TEXT_MAX * 4 + 1];
	char created[40];
	unsigned long nlen, tlen, clen;
};

static void
gb_bind_row(MYSQL_BIND *b, struct gb_row *r)
{
	memset(b, 0, 4 * sizeof(*b));
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &r->id;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = r->name;
	b[1].buffer_length = sizeof(r->name);
	b[1].length = &r->nlen;
	b[2].buffer_type = MYSQL_TYPE_STRING;
	b[2].buffer = r->text;
	b[2].buffer_length = sizeof(r->text);
	b[2].length = &r->tlen;
	b[3].buffer_type = MYSQL_TYPE_STRING;
	b[3].buffer = r->created;
	b[3].buffer_length = sizeof(r->created);
	b[3].length = &r->clen;
}

static json_t *
gb_row_json(const struct gb_row *r)
{
	return json_pack("{sIss#ss#ss#}", "id", (json_int_t)r->id, "name",
	    r->name, (int)r->nlen, "text", r->text, (int)r->tlen,
	    "created_at", r->created, (int)r->clen);
}

#define GB_SELECT "SELECT id, name, text, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ') FROM messages "

/* Runs a prepared SELECT of messages with two integer parameters; adds
 * each row to arr. Returns 0, -1 (error response already sent), or with
 * again set GB_AGAIN (see gb_db_error; nothing sent). */
static int
gb_select(struct foobar_req *req, MYSQL *db, const char *sql,
    long long a, long long b, json_t *arr, int again)
{
	MYSQL_STMT *st = mysql_stmt_init(db);
	MYSQL_BIND in[2], out[4];
	struct gb_row *r = calloc(1, sizeof(*r));
	enum gb_again how = again ? GB_AGAIN_READ : GB_NO_AGAIN;
	int rc = -1, f;

	if (st == NULL || r == NULL) {
		gb_error(req, 500, "out of memory");
		goto done;
	}
	memset(in, 0, sizeof(in));
	in[0].buffer_type = MYSQL_TYPE_LONGLONG;
	in[0].buffer = &a;
	in[1].buffer_type = MYSQL_TYPE_LONGLONG;
	in[1].buffer = &b;
	gb_bind_row(out, r);
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    mysql_stmt_bind_param(st, in) != 0 ||
	    mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, out) != 0) {
		rc = gb_db_error(req, db, st, how) == GB_AGAIN ? GB_AGAIN :
		    -1;
		goto done;
	}
	while ((f = mysql_stmt_fetch(st)) == 0 || f == MYSQL_DATA_TRUNCATED)
		if (json_array_append_new(arr, gb_row_json(r)) == -1) {
			gb_error(req, 500, "out of memory");
			goto done;
		}
	if (f != MYSQL_NO_DATA) {
		rc = gb_db_error(req, db, st, how) == GB_AGAIN ? GB_AGAIN :
		    -1;
		goto done;
	}
	rc = 0;
done:
	if (st != NULL)
		mysql_stmt_close(st);
	free(r);
	return rc;
}

/* A query parameter as an integer in [min, max]. Returns 1 when found,
 * 0 when absent, -1 when malformed. */
static int
gb_query_int(const char *q, const char *name, long long min, long long max,
    long long *out)
{
	size_t nl = strlen(name);
	const char *p = q;
	char *end;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			errno = 0;
			*out = strtoll(p + nl + 1, &end, 10);
			if (end == p + nl + 1 || (*end != '&' && *end != '\0') ||
			    errno != 0 || *out < min || *out > max)
				return -1;
			return 1;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* The worker's database connection, waiting up to GB_DB_WAIT_MS for a
 * new one when there is none: while HAProxy moves the web host to the
 * next Galera node, a connection may be cut just after it was made (a
 * node killed at that moment). /api/health does not wait. */
#define GB_DB_WAIT_MS 600
#define GB_DB_STEP_MS 150

static MYSQL *
gb_db(struct foobar_req *req)
{
	const struct timespec step = { 0, GB_DB_STEP_MS * 1000000L };
	MYSQL *db;
	int waited;

	for (waited = 0; (db = foobar_req_db(req)) == NULL &&
	    waited < GB_DB_WAIT_MS; waited += GB_DB_STEP_MS)
		nanosleep(&step, NULL);
	return db;
}

/* gb_select on the worker's connection; when that was lost, once more
 * on a new one (HAProxy sends it to the next node), and after a deadlock
 * once more. Returns 0, or -1 (error response already sent). */
static int
gb_select_db(struct foobar_req *req, const char *sql, long long a,
    long long b, json_t *arr)
{
	MYSQL *db;
	int rc = GB_AGAIN, again;

	for (again = 1; rc == GB_AGAIN; again = 0) {
		if ((db = gb_db(req)) == NULL) {
			gb_error(req, 503, "database unavailable");
			return -1;
		}
		json_array_clear(arr);
		rc = gb_select(req, db, sql, a, b, arr, again);
	}
	return rc;
}

static int
gb_list(struct foobar_req *req)
{
	long long limit = 20, before = 0x7fffffffffffffffLL;
	json_t *arr;

	if (gb_query_int(foobar_req_query(req), "limit", 1, 100,
	    &limit) == -1)
		return gb_error(req, 400, "limit must be 1 to 100");
	if (gb_query_int(foobar_req_query(req), "before", 1,
	    0x7fffffffffffffffLL, &before) == -1)
		return gb_error(req, 400, "before must be a message id");
	if ((arr = json_array()) == NULL)
		return -1;
	if (gb_select_db(req, GB_SELECT "WHERE id < ? ORDER BY id DESC "
	    "LIMIT ?", before, limit, arr) == -1) {
		json_decref(arr);
		return 0;
	}
	return gb_json(req, 200, arr);
}

static int
gb_get_one(struct foobar_req *req, const char *idstr)
{
	json_t *arr;
	long long id;

	if (gb_parse_num(idstr, &id) == -1 || id <= 0)
		return gb_error(req, 404, "no such message");
	if ((arr = json_array()) == NULL)
		return -1;
	if (gb_select_db(req, GB_SELECT "WHERE id = ? LIMIT ?", id, 1,
	    arr) == -1) {
		json_decref(arr);
		return 0;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return gb_error(req, 404, "no such message");
	}
	return gb_json_first(req, 200, arr);
}

/* --- posting --------------------------------------------------------- */

/* Length in code points of valid UTF-8 (no overlongs, surrogates or
 * values over U+10FFFF), or -1. */
static long
gb_utf8_len(const unsigned char *s, size_t len)
{
	size_t i = 0, k, n;
	unsigned long cp;
	long count = 0;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			count++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return -1;
		if (len - i <= n)
			return -1;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += n + 1;
		count++;
	}
	return count;
}

/* NULL when the field is acceptable, else why not. */
static const char *
gb_check_field(const char *what, const char *s, size_t len, long max,
    int multiline)
{
	static char msg[96];
	long n = gb_utf8_len((const unsigned char *)s, len);
	size_t i;
	int blank = 1;

	if (n < 0) {
		snprintf(msg, sizeof(msg), "%s is not valid UTF-8", what);
		return msg;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && !(multiline && (c == '\n' || c == '\r' ||
		    c == '\t'))) {
			snprintf(msg, sizeof(msg),
			    "%s contains control characters", what);
			return msg;
		}
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			blank = 0;
	}
	if (n == 0 || blank) {
		snprintf(msg, sizeof(msg), "%s is required", what);
		return msg;
	}
	if (n > max) {
		snprintf(msg, sizeof(msg), "%s is longer than %ld characters",
		    what, max);
		return msg;
	}
	return NULL;
}

/* Reads the whole body (up to GB_BODY_MAX). Returns its length, -1 when
 * too long, -2 on a read error. */
static long
gb_read_body(struct foobar_req *req, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while ((n = foobar_req_read(req, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		if (len == cap)
			return -1;
	}
	if (n < 0)
		return -2;
	buf[len] = '\0';
	return (long)len;
}

static int
gb_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes application/x-www-form-urlencoded value in place. Returns the
 * length, -1 when malformed. */
static long
gb_form_decode(char *s, size_t len)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < len; i++) {
		if (s[i] == '+')
			s[o++] = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= len || (h = gb_hexval(s[i + 1])) < 0 ||
			    (l = gb_hexval(s[i + 2])) < 0)
				return -1;
			s[o++] = (char)(h << 4 | l);
			i += 2;
		} else
			s[o++] = s[i];
	}
	return (long)o;
}

struct gb_input {
	char *name, *text;
	size_t nlen, tlen;
	int have_name, have_text;
};

/* Parses a form body (modified in place). Returns 0, -1 if malformed. */
static int
gb_parse_form(char *body, size_t len, struct gb_input *in)
{
	char *p = body, *end = body + len, *amp, *eq;
	long n;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL) {
			if (amp != p)
				return -1;
			p = amp + 1;
			continue;
		}
		if ((n = gb_form_decode(eq + 1, (size_t)(amp - eq - 1))) < 0)
			return -1;
		if (eq - p == 4 && memcmp(p, "name", 4) == 0) {
			in->name = eq + 1;
			in->nlen = (size_t)n;
			in->have_name = 1;
		} else if (eq - p == 4 && memcmp(p, "text", 4) == 0) {
			in->text = eq + 1;
			in->tlen = (size_t)n;
			in->have_text = 1;
		}
		p = amp + 1;
	}
	return 0;
}

/* Inserts the message; sets *id. Returns 0, -1 (error response already
 * sent), or with again set GB_AGAIN (the INSERT did not run, or was
 * rolled back: see gb_db_error; nothing sent). */
static int
gb_insert(struct foobar_req *req, MYSQL *db, const struct gb_input *in,
    int again, long long *id)
{
	static const char sql[] = "INSERT INTO messages (name, text, "
	    "created_at) VALUES (?, ?, UTC_TIMESTAMP())";
	MYSQL_STMT *st = mysql_stmt_init(db);
	MYSQL_BIND b[2];
	unsigned long nl = in->nlen, tl = in->tlen;
	enum gb_again how = GB_AGAIN_READ;	/* not run before execute */
	int rc = -1;

	if (st == NULL) {
		gb_error(req, 500, "out of memory");
		return -1;
	}
	memset(b, 0, sizeof(b));
	b[0].buffer_type = MYSQL_TYPE_STRING;
	b[0].buffer = in->name;
	b[0].buffer_length = nl;
	b[0].length = &nl;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = in->text;
	b[1].buffer_length = tl;
	b[1].length = &tl;
	if (mysql_stmt_prepare(st, sql, sizeof(sql) - 1) != 0 ||
	    mysql_stmt_bind_param(st, b) != 0 ||
	    (how = GB_AGAIN_WRITE, mysql_stmt_execute(st) != 0)) {
		if (gb_db_error(req, db, st, again ? how : GB_NO_AGAIN) ==
		    GB_AGAIN)
			rc = GB_AGAIN;
		goto done;
	}
	*id = (long long)mysql_stmt_insert_id(st);
	rc = 0;
done:
	mysql_stmt_close(st);
	return rc;
}

static int
gb_store(struct foobar_req *req, const struct gb_input *in)
{
	MYSQL *db;
	long long id = 0;
	json_t *arr;
	char loc[64];
	int rc = GB_AGAIN, again;

	for (again = 1; rc == GB_AGAIN; again = 0) {
		if ((db = gb_db(req)) == NULL)
			return gb_error(req, 503, "database unavailable");
		rc = gb_insert(req, db, in, again, &id);
	}
	if (rc == -1)
		return 0;
	if ((arr = json_array()) == NULL)
		return -1;
	if (gb_select_db(req, GB_SELECT "WHERE id = ? LIMIT ?", id, 1,
	    arr) == -1 || json_array_size(arr) != 1) {
		json_decref(arr);
		return 0;
	}
	snprintf(loc, sizeof(loc), "/api/messages/%lld", id);
	foobar_resp_header(req, "Location", loc);
	return gb_json_first(req, 201, arr);
}

static int
gb_parse_json(const char *body, size_t len, struct gb_input *in,
    json_t **root)
{
	json_error_t jerr;
	json_t *n, *t;

	*root = json_loadb(body, len, 0, &jerr);
	if (*root == NULL || !json_is_object(*root))
		return -1;
	n = json_object_get(*root, "name");
	t = json_object_get(*root, "text");
	if (n != NULL) {
		if (!json_is_string(n))
			return -2;
		in->name = (char *)json_string_value(n);
		in->nlen = json_string_length(n);
		in->have_name = 1;
	}
	if (t != NULL) {
		if (!json_is_string(t))
			return -2;
		in->text = (char *)json_string_value(t);
		in->tlen = json_string_length(t);
		in->have_text = 1;
	}
	return 0;
}

static int
gb_post(struct foobar_req *req)
{
	const char *ct = foobar_req_header(req, "Content-Type");
	struct gb_input in = { 0 };
	json_t *root = NULL;
	const char *why;
	char *body;
	long len;
	int rc;

	if (ct == NULL)
		ct = "";
	if ((body = malloc(GB_BODY_MAX + 1)) == NULL)
		return -1;
	len = gb_read_body(req, body, GB_BODY_MAX + 1);
	if (len == -1) {
		free(body);
		return gb_error(req, 413, "body too large");
	}
	if (len < 0) {
		free(body);
		return -1;
	}
	if (strncasecmp(ct, "application/json", 16) == 0) {
		rc = gb_parse_json(body, (size_t)len, &in, &root);
		if (rc == -1) {
			rc = gb_error(req, 400, "malformed JSON");
			goto done;
		}
		if (rc == -2) {
			rc = gb_error(req, 422, "name and text must be "
			    "strings");
			goto done;
		}
	} else if (strncasecmp(ct, "application/x-www-form-urlencoded",
	    33) == 0) {
		if (gb_parse_form(body, (size_t)len, &in) == -1) {
			rc = gb_error(req, 400, "malformed form data");
			goto done;
		}
	} else {
		rc = gb_error(req, 415, "send application/json or "
		    "application/x-www-form-urlencoded");
		goto done;
	}
	if ((why = gb_check_field("name", in.have_name ? in.name : "",
	    in.nlen, GB_NAME_MAX, 0)) != NULL ||
	    (why = gb_check_field("text", in.have_text ? in.text : "",
	    in.tlen, GB_TEXT_MAX, 1)) != NULL) {
		rc = gb_error(req, 422, why);
		goto done;
	}
	rc = gb_store(req, &in);
done:
	json_decref(root);
	free(body);
	return rc;
}

static int
gb_handle(void *ctx, struct foobar_req *req)
{
	const char *path = foobar_req_path(req);
	const char *m = foobar_req_method(req);
	int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;

	if (strcmp(path, "/api/health") == 0)
		return get ? gb_health(req) : gb_method_not_allowed(req,
		    "GET, HEAD");
	if (strcmp(path, "/api/messages") == 0) {
		if (get)
			return gb_list(req);
		if (strcmp(m, "POST") == 0)
			return gb_post(req);
		return gb_method_not_allowed(req, "GET, HEAD, POST");
	}
	if (strncmp(path, "/api/messages/", 14) == 0)
		return get ? gb_get_one(req, path + 14) :
		    gb_method_not_allowed(req, "GET, HEAD");
	return gb_error(req, 404, "not found");
}
