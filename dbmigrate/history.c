/* history.c - the dbmigrate_history table and the one-run-at-a-time lock,
 * on the migration's one connection. */
#include "dbmigrate.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"

#define ER_NO_SUCH_TABLE 1146

static const char history_ddl[] =
    "CREATE TABLE IF NOT EXISTS dbmigrate_history ("
    "version BIGINT UNSIGNED NOT NULL PRIMARY KEY, "
    "name VARCHAR(255) NOT NULL, "
    "checksum CHAR(64) NOT NULL, "
    "applied_at DATETIME(3) NOT NULL COMMENT 'UTC', "
    "duration_ms BIGINT UNSIGNED NOT NULL DEFAULT 0, "
    "success TINYINT(1) NOT NULL, "
    "action VARCHAR(16) NOT NULL COMMENT 'up, down or baseline', "
    "error TEXT NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

static char history_lock_name[128];

/* On Galera GET_LOCK holds on one node only: the lock that holds across
 * the cluster is a row of this table, inserted with autocommit. Two runs
 * that insert it through different nodes conflict at certification: one
 * commits, the other gets a duplicate key (or a deadlock error, 1213)
 * and waits. A run that was killed leaves its row behind; it expires
 * after HISTORY_LEASE seconds. */
#define HISTORY_LEASE 3600
#define ER_DUP_ENTRY 1062
#define ER_LOCK_DEADLOCK 1213

static const char lock_ddl[] =
    "CREATE TABLE IF NOT EXISTS dbmigrate_lock ("
    "id TINYINT UNSIGNED NOT NULL PRIMARY KEY, "
    "owner VARCHAR(255) NOT NULL, "
    "expires DATETIME NOT NULL COMMENT 'UTC'"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

static char history_owner[420];	/* set while this run holds the row */

/* Runs a statement built like printf; logs what failed. */
static int
history_execf(struct db *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
history_execf(struct db *db, const char *fmt, ...)
{
	va_list ap;
	char *sql;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&sql, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		log_err("out of memory");
		return -1;
	}
	rc = db_exec(db, sql);
	if (rc == -1)
		log_err("dbmigrate_history: %s", db_error(db));
	free(sql);
	return rc;
}

/* A malloc'd escaped copy of s for a '...' literal, or NULL. */
static char *
history_quote(struct db *db, const char *s)
{
	size_t n = strlen(s);
	char *q = malloc(2 * n + 1);

	if (q == NULL)
		log_err("out of memory");
	else
		db_escape(db, q, s, n);
	return q;
}

int
history_create(struct db *db)
{
	if (db_exec(db, history_ddl) == -1) {
		log_err("create table dbmigrate_history: %s", db_error(db));
		return -1;
	}
	return 0;
}

static void
history_copy(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src ? src : "");
}

static int
history_row(void *arg, unsigned ncols, char **v, const unsigned long *lens)
{
	struct history *h = arg;
	struct hrow *r, *rows;

	if (ncols < 8)
		return -1;
	if ((rows = realloc(h->rows, (h->n + 1) * sizeof(*rows))) == NULL)
		return -1;
	h->rows = rows;
	r = &rows[h->n];
	memset(r, 0, sizeof(*r));
	r->version = strtoull(v[0], NULL, 10);
	r->name = strdup(v[1] ? v[1] : "");
	history_copy(r->checksum, sizeof(r->checksum), v[2]);
	history_copy(r->applied_at, sizeof(r->applied_at), v[3]);
	r->duration_ms = v[4] ? strtoll(v[4], NULL, 10) : 0;
	r->success = v[5] && strcmp(v[5], "1") == 0;
	history_copy(r->action, sizeof(r->action), v[6]);
	r->error = v[7] ? strdup(v[7]) : NULL;
	h->n++;
	return r->name == NULL ? -1 : 0;
}

int
history_load(struct db *db, struct history *h)
{
	static const char q[] = "SELECT version, name, checksum, "
	    "DATE_FORMAT(applied_at, '%Y-%m-%d %H:%i:%s'), duration_ms, "
	    "success, action, error FROM dbmigrate_history ORDER BY version";

	memset(h, 0, sizeof(*h));
	h->exists = 1;
	if (db_query(db, q, sizeof(q) - 1, history_row, h) == 0)
		return 0;
	if (db_errno(db) == ER_NO_SUCH_TABLE) {
		history_free(h);
		return 0;
	}
	log_err("read dbmigrate_history: %s", db_error(db));
	history_free(h);
	return -1;
}

void
history_free(struct history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->rows[i].name);
		free(h->rows[i].error);
	}
	free(h->rows);
	h->rows = NULL;
	h->n = 0;
	h->exists = 0;
}

struct hrow *
history_find(struct history *h, uint64_t version)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->rows[i].version == version)
			return &h->rows[i];
	return NULL;
}

uint64_t
history_max_applied(const struct history *h)
{
	uint64_t max = 0;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->rows[i].success && h->rows[i].version > max)
			max = h->rows[i].version;
	return max;
}

int
history_begin(struct db *db, uint64_t version, const char *name,
    const char *checksum, const char *action, uint64_t done_version,
    long long done_ms)
{
	char *qname;
	int rc;

	if (strcmp(action, "down") == 0)
		return history_execf(db, "UPDATE dbmigrate_history SET "
		    "success = 0, action = 'down', error = NULL "
		    "WHERE version = %" PRIu64, version);
	if ((qname = history_quote(db, name)) == NULL)
		return -1;
	if (done_version == 0)
		rc = history_execf(db, "INSERT INTO dbmigrate_history "
		    "(version, name, checksum, applied_at, duration_ms, "
		    "success, action) VALUES (%" PRIu64 ", '%s', '%s', "
		    "UTC_TIMESTAMP(3), 0, 0, 'up')", version, qname, checksum);
	else	/* the done row exists: only success and duration change */
		rc = history_execf(db, "INSERT INTO dbmigrate_history "
		    "(version, name, checksum, applied_at, duration_ms, "
		    "success, action) VALUES (%" PRIu64 ", '', '', "
		    "UTC_TIMESTAMP(3), %lld, 1, 'up'), (%" PRIu64 ", '%s', "
		    "'%s', UTC_TIMESTAMP(3), 0, 0, 'up') ON DUPLICATE KEY "
		    "UPDATE success = VALUES(success), "
		    "duration_ms = VALUES(duration_ms)", done_version, done_ms,
		    version, qname, checksum);
	free(qname);
	return rc;
}

int
history_done_up(struct db *db, uint64_t version, long long ms)
{
	return history_execf(db, "UPDATE dbmigrate_history SET success = 1, "
	    "duration_ms = %lld WHERE version = %" PRIu64, ms, version);
}

int
history_failed(struct db *db, uint64_t version, const char *error,
    long long ms)
{
	char *qerr;
	int rc;

	if ((qerr = history_quote(db, error)) == NULL)
		return -1;
	rc = history_execf(db, "UPDATE dbmigrate_history SET success = 0, "
	    "duration_ms = %lld, error = '%s' WHERE version = %" PRIu64, ms,
	    qerr, version);
	free(qerr);
	return rc;
}

int
history_delete(struct db *db, uint64_t version)
{
	return history_execf(db, "DELETE FROM dbmigrate_history WHERE "
	    "version = %" PRIu64, version);
}

int
history_insert_baseline(struct db *db, uint64_t version, const char *name,
    const char *checksum)
{
	char *qname;
	int rc;

	if ((qname = history_quote(db, name)) == NULL)
		return -1;
	rc = history_execf(db, "INSERT INTO dbmigrate_history (version, "
	    "name, checksum, applied_at, duration_ms, success, action) VALUES "
	    "(%" PRIu64 ", '%s', '%s', UTC_TIMESTAMP(3), 0, 1, 'baseline')",
	    version, qname, checksum);
	free(qname);
	return rc;
}

int
history_realign(struct db *db, uint64_t version, const char *name,
    const char *checksum)
{
	char *qname;
	int rc;

	if ((qname = history_quote(db, name)) == NULL)
		return -1;
	rc = history_execf(db, "UPDATE dbmigrate_history SET name = '%s', "
	    "checksum = '%s' WHERE version = %" PRIu64, qname, checksum,
	    version);
	free(qname);
	return rc;
}

/* Describes who holds the lock: "connection N (user@host)". */
static void
history_holder(struct db *db, const char *qlock, char *buf, size_t buflen)
{
	char sql[512], id[32], who[256];
	int r;

	snprintf(sql, sizeof(sql), "SELECT IS_USED_LOCK('%s')", qlock);
	if (db_query_value(db, sql, id, sizeof(id)) != 1) {
		snprintf(buf, buflen, "another connection");
		return;
	}
	snprintf(sql, sizeof(sql), "SELECT CONCAT(USER, '@', HOST) FROM "
	    "information_schema.PROCESSLIST WHERE ID = %s", id);
	r = db_query_value(db, sql, who, sizeof(who));
	if (r == 1)
		snprintf(buf, buflen, "connection %s (%s)", id, who);
	else
		snprintf(buf, buflen, "connection %s", id);
}

static int
history_get_lock(struct db *db, const char *qlock, long timeout)
{
	char sql[512], val[16];
	int r;

	snprintf(sql, sizeof(sql), "SELECT GET_LOCK('%s', %ld)", qlock,
	    timeout);
	if ((r = db_query_value(db, sql, val, sizeof(val))) == -1) {
		log_err("lock %s: %s", history_lock_name, db_error(db));
		return -1;
	}
	if (r == 0) {
		log_err("lock %s: GET_LOCK returned NULL", history_lock_name);
		return -1;
	}
	return strcmp(val, "1") == 0 ? 1 : 0;
}

/* 1 when the server is a Galera node (wsrep_on), 0 when not, -1. */
static int
history_galera(struct db *db)
{
	char val[16];
	int r;

	r = db_query_value(db, "SELECT @@GLOBAL.wsrep_on", val, sizeof(val));
	if (r == -1 && db_errno(db) == 1193) /* no such variable */
		return 0;
	if (r == -1) {
		log_err("SELECT @@wsrep_on: %s", db_error(db));
		return -1;
	}
	return r == 1 && strcmp(val, "1") == 0;
}

/* One try at the row: 1 taken, 0 held by another run, -1 error. */
static int
history_row_try(struct db *db, const char *qowner)
{
	char sql[700];

	(void)db_exec(db, "DELETE FROM dbmigrate_lock WHERE id = 1 AND "
	    "expires < UTC_TIMESTAMP()");
	snprintf(sql, sizeof(sql), "INSERT INTO dbmigrate_lock VALUES (1, "
	    "'%s', UTC_TIMESTAMP() + INTERVAL %d SECOND)", qowner,
	    HISTORY_LEASE);
	if (db_exec(db, sql) == 0)
		return 1;
	if (db_errno(db) == ER_DUP_ENTRY || db_errno(db) == ER_LOCK_DEADLOCK)
		return 0;
	log_err("dbmigrate_lock: %s", db_error(db));
	return -1;
}

/* The cluster-wide lock (after GET_LOCK, on a Galera node). Returns 0,
 * -1, or DBM_EXIT_LOCKED after timeout seconds. */
static int
history_row_lock(struct db *db, long timeout)
{
	char host[128] = "?", owner[200], qowner[420], holder[300];
	long waited = 0;
	int r;

	/* reads wait until this node has applied what the cluster
	 * committed before them */
	(void)db_exec(db, "SET SESSION wsrep_sync_wait = 1");
	if (db_exec(db, lock_ddl) == -1) {
		log_err("dbmigrate_lock: %s", db_error(db));
		return -1;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(owner, sizeof(owner), "%s pid %ld", host, (long)getpid());
	db_escape(db, qowner, owner, strlen(owner));
	for (;;) {
		if ((r = history_row_try(db, qowner)) != 0)
			break;
		if (waited == 0 || waited >= timeout) {
			if (db_query_value(db, "SELECT CONCAT(owner, ' until ',"
			    " expires, ' UTC') FROM dbmigrate_lock WHERE id = "
			    "1", holder, sizeof(holder)) != 1)
				snprintf(holder, sizeof(holder), "another run");
			if (waited >= timeout) {
				log_err("cluster lock dbmigrate_lock is held "
				    "by %s; gave up after %ld s "
				    "(--lock-timeout)", holder, timeout);
				return DBM_EXIT_LOCKED;
			}
			log_info("waiting up to %ld s for the cluster lock "
			    "(dbmigrate_lock), held by %s", timeout, holder);
		}
		sleep(1);
		waited++;
	}
	if (r == -1)
		return -1;
	snprintf(history_owner, sizeof(history_owner), "%s", qowner);
	return 0;
}

static int
history_node_lock(struct db *db, long timeout)
{
	char dbname[80], qlock[300], holder[400];
	int r;

	if ((r = db_query_value(db, "SELECT DATABASE()", dbname,
	    sizeof(dbname))) == -1) {
		log_err("SELECT DATABASE(): %s", db_error(db));
		return -1;
	}
	if (r == 0) {
		log_err("no database selected: set database= in the option "
		    "file");
		return -1;
	}
	/* GET_LOCK names are limited to 64 characters. */
	snprintf(history_lock_name, sizeof(history_lock_name),
	    "foobar-dbmigrate:%.47s", dbname);
	db_escape(db, qlock, history_lock_name, strlen(history_lock_name));
	if ((r = history_get_lock(db, qlock, 0)) != 0)
		return r == 1 ? 0 : -1;
	history_holder(db, qlock, holder, sizeof(holder));
	if (timeout > 0) {
		log_info("waiting up to %ld s for lock %s, held by %s",
		    timeout, history_lock_name, holder);
		if ((r = history_get_lock(db, qlock, timeout)) != 0)
			return r == 1 ? 0 : -1;
		history_holder(db, qlock, holder, sizeof(holder));
	}
	log_err("lock %s is held by %s (another foobar-dbmigrate run?); "
	    "gave up after %ld s (--lock-timeout)", history_lock_name, holder,
	    timeout);
	return DBM_EXIT_LOCKED;
}

int
history_lock(struct db *db, long timeout)
{
	int rc = history_node_lock(db, timeout), g;

	if (rc != 0)
		return rc;
	if ((g = history_galera(db)) == 0)
		return 0;
	rc = g == -1 ? -1 : history_row_lock(db, timeout);
	if (rc != 0)
		history_unlock(db);
	return rc;
}

void
history_unlock(struct db *db)
{
	char sql[600], qlock[300];

	if (history_owner[0] != '\0') {
		snprintf(sql, sizeof(sql), "DELETE FROM dbmigrate_lock WHERE "
		    "id = 1 AND owner = '%s'", history_owner);
		if (db_exec(db, sql) == -1 || db_exec(db, "COMMIT") == -1)
			log_err("dbmigrate_lock: %s (the lock expires in %d s)",
			    db_error(db), HISTORY_LEASE);
		history_owner[0] = '\0';
	}
	if (history_lock_name[0] == '\0')
		return;
	db_escape(db, qlock, history_lock_name, strlen(history_lock_name));
	snprintf(sql, sizeof(sql), "SELECT RELEASE_LOCK('%s')", qlock);
	(void)db_exec(db, sql);
	history_lock_name[0] = '\0';
}
