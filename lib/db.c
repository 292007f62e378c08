/* db.c - one MySQL/MariaDB connection configured by a MySQL option file. */
#include "db.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

struct db {
	MYSQL *my;
	char err[512];
	unsigned errnum;
};

static void
db_set_error(struct db *db)
{
	db->errnum = mysql_errno(db->my);
	snprintf(db->err, sizeof(db->err), "%s", mysql_error(db->my));
}

static enum db_fail
db_classify(unsigned errnum)
{
	switch (errnum) {
	case ER_ACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
	case ER_BAD_DB_ERROR:
	case 1698: /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
		return DB_FAIL_ACCESS;
	case ER_SERVER_SHUTDOWN:
	case 1927: /* ER_CONNECTION_KILLED (MariaDB) */
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_UNKNOWN_HOST:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
		return DB_FAIL_SERVER;
	default:
		return errnum >= 2000 && errnum < 3000 ? DB_FAIL_SERVER :
		    DB_FAIL_OTHER;
	}
}

static int
db_set_options(MYSQL *my, const struct db_opts *opts)
{
	my_bool off = 0;
	unsigned t;
	int rc = 0;

	rc |= mysql_options(my, MYSQL_READ_DEFAULT_FILE, opts->option_file);
	rc |= mysql_options(my, MYSQL_READ_DEFAULT_GROUP, opts->group);
	rc |= mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	rc |= mysql_options(my, MYSQL_OPT_RECONNECT, &off);
	if (opts->connect_timeout > 0) {
		t = opts->connect_timeout;
		rc |= mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	}
	if (opts->read_timeout > 0) {
		t = opts->read_timeout;
		rc |= mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &t);
	}
	if (opts->write_timeout > 0) {
		t = opts->write_timeout;
		rc |= mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	}
	return rc ? -1 : 0;
}

struct db *
db_open(const struct db_opts *opts, char *err, size_t errlen,
    enum db_fail *fail)
{
	struct db *db;
	enum db_fail why = DB_FAIL_OTHER;

	if (access(opts->option_file, R_OK) == -1) {
		snprintf(err, errlen, "option file %s: %s", opts->option_file,
		    strerror(errno));
		why = DB_FAIL_CONFIG;
		goto fail;
	}
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->my = mysql_init(NULL)) == NULL) {
		free(db);
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (db_set_options(db->my, opts) == -1) {
		snprintf(err, errlen, "setting client options failed");
		goto fail_close;
	}
	/* NULL user/database: the option file's (the library fills them). */
	if (mysql_real_connect(db->my, NULL, opts->user, NULL, opts->database,
	    0, NULL, CLIENT_MULTI_RESULTS) == NULL) {
		why = db_classify(mysql_errno(db->my));
		snprintf(err, errlen, "connect (option file %s, group [%s]): "
		    "%s", opts->option_file, opts->group, mysql_error(db->my));
		goto fail_close;
	}
	if (fail != NULL)
		*fail = DB_FAIL_NONE;
	return db;

fail_close:
	db_close(db);
fail:
	if (fail != NULL)
		*fail = why;
	return NULL;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	mysql_close(db->my);
	free(db);
}

static int
db_rows(struct db *db, MYSQL_RES *res, db_row_fn fn, void *arg)
{
	MYSQL_ROW row;
	unsigned long *lens;
	unsigned n = mysql_num_fields(res);

	while ((row = mysql_fetch_row(res)) != NULL) {
		if (fn == NULL)
			continue;
		lens = mysql_fetch_lengths(res);
		if (fn(arg, n, row, lens) == -1)
			return -1;
	}
	if (mysql_errno(db->my) != 0) {
		db_set_error(db);
		return -1;
	}
	return 0;
}

int
db_query(struct db *db, const char *sql, size_t len, db_row_fn fn,
    void *arg)
{
	MYSQL_RES *res;
	int status, rc = 0;

	db->err[0] = '\0';
	db->errnum = 0;
	if (mysql_real_query(db->my, sql, len) != 0) {
		db_set_error(db);
		return -1;
	}
	do {
		if ((res = mysql_store_result(db->my)) != NULL) {
			if (rc == 0 && db_rows(db, res, fn, arg) == -1)
				rc = -1;
			mysql_free_result(res);
		} else if (mysql_field_count(db->my) != 0) {
			db_set_error(db);
			return -1;
		}
		status = mysql_next_result(db->my);
	} while (status == 0);
	if (status > 0) {
		db_set_error(db);
		return -1;
	}
	if (rc == -1 && db->err[0] == '\0')
		snprintf(db->err, sizeof(db->err), "row handler failed");
	return rc;
}

int
db_exec(struct db *db, const char *sql)
{
	return db_query(db, sql, strlen(sql), NULL, NULL);
}

struct db_value {
	char *buf;
	size_t buflen;
	int found;
};

static int
db_value_row(void *arg, unsigned ncols, char **vals,
    const unsigned long *lens)
{
	struct db_value *v = arg;
	size_t n;

	if (v->found != -1 || ncols == 0)
		return 0;
	v->found = 0;
	if (vals[0] == NULL || v->buflen == 0)
		return 0;
	n = lens[0] < v->buflen - 1 ? lens[0] : v->buflen - 1;
	memcpy(v->buf, vals[0], n);
	v->buf[n] = '\0';
	v->found = 1;
	return 0;
}

int
db_query_value(struct db *db, const char *sql, char *buf, size_t buflen)
{
	struct db_value v = { buf, buflen, -1 };

	if (buflen > 0)
		buf[0] = '\0';
	if (db_query(db, sql, strlen(sql), db_value_row, &v) == -1)
		return -1;
	return v.found == 1 ? 1 : 0;
}

size_t
db_escape(struct db *db, char *dst, const char *src, size_t len)
{
	return mysql_real_escape_string(db->my, dst, src, len);
}

const char *
db_error(const struct db *db)
{
	return db->err;
}

unsigned
db_errno(const struct db *db)
{
	return db->errnum;
}

int
db_error_is_fatal(const struct db *db)
{
	return db_classify(db->errnum) == DB_FAIL_SERVER;
}

unsigned long
db_thread_id(const struct db *db)
{
	return mysql_thread_id(db->my);
}

const char *
db_server_info(const struct db *db)
{
	return mysql_get_server_info(db->my);
}

int
db_peer_closed(struct db *db)
{
	struct pollfd p = { 0 };

	p.fd = (int)mysql_get_socket(db->my);
	if (p.fd < 0)
		return 1;
	p.events = POLLRDHUP;
	if (poll(&p, 1, 0) <= 0)
		return 0;
	return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

void *
db_handle(struct db *db)
{
	return db->my;
}
