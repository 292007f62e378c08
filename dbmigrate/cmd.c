/* cmd.c - foobar-dbmigrate's commands: plan from the folder and the
 * history, check, then run statements one at a time. */
#include "dbmigrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "log.h"
#include "prom.h"

#define CONNECT_TIMEOUT 10
#define SHORT_STMT 160

/* One run: the folder, the connection, the history. */
struct run {
	const struct dbm_opts *o;
	struct mdir md;
	struct db *db;
	struct history h;
	int locked;
	uint64_t done_version;	/* applied, not yet marked successful */
	long long done_ms;
	int batch;		/* autocommit off (up): see do_up */
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collapses blanks and shortens a statement for a message. */
static void
short_stmt(char *out, size_t outlen, const char *s, size_t len)
{
	char tmp[SHORT_STMT + 4];
	size_t i, n = 0;
	int blank = 0;

	for (i = 0; i < len && n < SHORT_STMT; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r') {
			blank = 1;
			continue;
		}
		if (blank && n > 0)
			tmp[n++] = ' ';
		blank = 0;
		if (n < SHORT_STMT)
			tmp[n++] = s[i];
	}
	if (i < len) {
		tmp[n++] = '.';
		tmp[n++] = '.';
		tmp[n++] = '.';
	}
	log_escape(out, outlen, tmp, n);
}

static int
run_connect(struct run *r)
{
	struct db_opts dbo = { r->o->option_file, r->o->group,
		CONNECT_TIMEOUT, 0, 0, NULL, NULL };
	char err[768];
	enum db_fail fail;

	r->db = db_open(&dbo, err, sizeof(err), &fail);
	if (r->db != NULL)
		return 0;
	log_err("%s", err);
	switch (fail) {
	case DB_FAIL_CONFIG:
		return EXIT_CONFIG;
	case DB_FAIL_SERVER:
		log_err("is the MySQL/MariaDB server running? (socket, host "
		    "and port come from %s)", r->o->option_file);
		break;
	case DB_FAIL_ACCESS:
		log_err("check user and database in %s; as root, "
		    "'foobar-dbmigrate provision' creates them",
		    r->o->option_file);
		break;
	default:
		break;
	}
	return EXIT_RUNTIME;
}

/* Loads the folder, connects, locks (when asked), makes sure the table
 * exists (unless dry-run) and reads the history. Returns 0 or an exit
 * status. */
static int
run_open(struct run *r, const struct dbm_opts *o, int lock)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->o = o;
	if (mdir_load(o->dir, &r->md) == -1)
		return DBM_EXIT_FILES;
	if ((rc = run_connect(r)) != 0)
		return rc;
	if (lock) {
		if ((rc = history_lock(r->db, o->lock_timeout)) != 0)
			return rc == -1 ? EXIT_RUNTIME : rc;
		r->locked = 1;
		if (!o->dry_run && history_create(r->db) == -1)
			return EXIT_RUNTIME;
	}
	if (history_load(r->db, &r->h) == -1)
		return EXIT_RUNTIME;
	return 0;
}

/* Commits what autocommit off left open. Returns 0 or -1 (logged). */
static int
run_commit(struct run *r)
{
	if (!r->batch || db_exec(r->db, "COMMIT") == 0)
		return 0;
	log_err("commit: %s", db_error(r->db));
	return -1;
}

/* Marks the last applied migration successful, and commits. Returns 0
 * or -1. */
static int
run_flush(struct run *r)
{
	uint64_t v = r->done_version;

	r->done_version = 0;
	if (v != 0 && history_done_up(r->db, v, r->done_ms) == -1)
		return -1;
	return run_commit(r);
}

static void
run_close(struct run *r)
{
	if (r->db != NULL)
		(void)run_flush(r);
	if (r->db != NULL && r->locked)
		history_unlock(r->db);
	db_close(r->db);
	history_free(&r->h);
	mdir_free(&r->md);
}

/* Refuses while a failed record exists. Returns 0 or DBM_EXIT_FAILED. */
static int
check_failed(struct run *r)
{
	struct hrow *f = NULL;
	size_t i;

	for (i = 0; i < r->h.n; i++)
		if (!r->h.rows[i].success)
			f = &r->h.rows[i];
	if (f == NULL)
		return 0;
	log_err("migration %" PRIu64 "_%s failed while %s at %s UTC: %s",
	    f->version, f->name, strcmp(f->action, "down") == 0 ?
	    "reverting it (down)" : "applying it (up)", f->applied_at,
	    f->error ? f->error : "interrupted before it finished");
	if (strcmp(f->action, "down") == 0)
		log_err("the database may be half-reverted: finish reverting "
		    "by hand, then run 'foobar-dbmigrate repair' (the version "
		    "then counts as not applied)");
	else
		log_err("the database may be half-migrated (MySQL DDL is not "
		    "transactional): undo what the migration applied by hand, "
		    "fix the file, then run 'foobar-dbmigrate repair' and "
		    "'foobar-dbmigrate up'");
	log_err("refusing to migrate until then");
	return DBM_EXIT_FAILED;
}

/* What a history row says of its version's file. */
enum row_state {
	ROW_FAILED,		/* success = 0: failed or cut short */
	ROW_NO_CHECKSUM,	/* a baseline without a file: nothing to check */
	ROW_MISSING,		/* applied, the file is gone */
	ROW_CHANGED,		/* applied, the file changed since */
	ROW_APPLIED		/* applied, the file as it was */
};

/* Classifies history row h against m, the file of its version (NULL
 * when the folder has none). */
static enum row_state
row_state(const struct hrow *h, const struct migration *m)
{
	if (!h->success)
		return ROW_FAILED;
	if (h->checksum[0] == '\0')
		return ROW_NO_CHECKSUM;
	if (m == NULL)
		return ROW_MISSING;
	if (strcmp(m->up.checksum, h->checksum) != 0)
		return ROW_CHANGED;
	return ROW_APPLIED;
}

/* Applied files that changed or vanished. Skips version skip (redo).
 * Returns the number of changed files (missing ones only warn when
 * warn_missing is 1, count when 0). */
static int
check_drift(struct run *r, uint64_t skip, int warn_missing)
{
	struct migration *m;
	struct hrow *h;
	size_t i;
	int n = 0;

	for (i = 0; i < r->h.n; i++) {
		h = &r->h.rows[i];
		if (h->version == skip)
			continue;
		m = mdir_find(&r->md, h->version);
		switch (row_state(h, m)) {
		case ROW_MISSING:
			log_warn("applied migration %" PRIu64 "_%s has no file "
			    "in %s", h->version, h->name, r->o->dir);
			n += !warn_missing;
			break;
		case ROW_CHANGED:
			log_err("%s changed after it was applied (checksum "
			    "%.12s... recorded, %.12s... now)", m->up.path,
			    h->checksum, m->up.checksum);
			n++;
			break;
		default:
			break;
		}
	}
	return n;
}

static int
refuse_drift(struct run *r, uint64_t skip)
{
	if (check_drift(r, skip, 1) == 0)
		return 0;
	log_err("refusing to migrate: revert the file changes, or run "
	    "'foobar-dbmigrate repair' to accept the files as they are now");
	return DBM_EXIT_DRIFT;
}

static int
is_pending(struct run *r, const struct migration *m)
{
	return history_find(&r->h, m->version) == NULL;
}

static void
print_plan(const struct mfile *f)
{
	char sh[SHORT_STMT * 4 + 8];
	size_t i;

	for (i = 0; i < f->script.n; i++) {
		short_stmt(sh, sizeof(sh), f->script.stmts[i].text,
		    f->script.stmts[i].len);
		printf("  %s:%u: %s\n", f->base, f->script.stmts[i].line, sh);
	}
}

/* Runs the statements of one file and keeps the history in step. */
static int
run_file(struct run *r, struct migration *m, int down)
{
	const struct mfile *f = down ? &m->down : &m->up;
	const struct sql_stmt *st;
	char msg[1024], sh[SHORT_STMT * 4 + 8];
	long long t0 = now_ms(), ms;
	size_t i;
	int lost;

	printf("%s %" PRIu64 "_%s%s\n", down ? "reverting" : "applying",
	    m->version, m->name, r->o->dry_run ? " (dry run)" : "");
	if (r->o->dry_run) {
		print_plan(f);
		return 0;
	}
	fflush(stdout);
	if (down && run_flush(r) == -1)
		return EXIT_RUNTIME;
	if (history_begin(r->db, m->version, m->name, m->up.checksum,
	    down ? "down" : "up", r->done_version, r->done_ms) == -1)
		return EXIT_RUNTIME;
	r->done_version = 0;
	for (i = 0; i < f->script.n; i++) {
		st = &f->script.stmts[i];
		if (db_query(r->db, st->text, st->len, NULL, NULL) == 0)
			continue;
		ms = now_ms() - t0;
		snprintf(msg, sizeof(msg), "%s:%u: %s (error %u)", f->base,
		    st->line, db_error(r->db), db_errno(r->db));
		short_stmt(sh, sizeof(sh), st->text, st->len);
		log_err("%s/%s", r->o->dir, msg);
		log_err("statement: %s", sh);
		lost = db_error_is_fatal(r->db);
		if (lost || history_failed(r->db, m->version, msg, ms) == -1 ||
		    run_commit(r) == -1)
			log_err("could not record the error: the history "
			    "still marks %" PRIu64 " as failed", m->version);
		log_err("migration %" PRIu64 "_%s is recorded as failed; %s",
		    m->version, m->name, lost ? "the connection was lost: "
		    "the statements before this one took effect, this one "
		    "may have" : i == 0 ? "no statement of it took effect" :
		    "the statements before this one took effect");
		log_err("recover: fix the database and the file by hand, then "
		    "run 'foobar-dbmigrate repair'");
		return DBM_EXIT_FAILED;
	}
	ms = now_ms() - t0;
	if (down) {
		if (history_delete(r->db, m->version) == -1)
			return EXIT_RUNTIME;
	} else {
		r->done_version = m->version;	/* recorded by the next */
		r->done_ms = ms;		/* begin or run_flush */
	}
	printf("%s %" PRIu64 "_%s (%lld ms)\n", down ? "reverted" : "applied",
	    m->version, m->name, ms);
	return 0;
}

/* Out-of-order pending versions: refused unless allowed. */
static int
check_order(struct run *r, int has_to, uint64_t to)
{
	uint64_t max = history_max_applied(&r->h);
	size_t i;
	int n = 0;

	for (i = 0; i < r->md.n; i++) {
		if (!is_pending(r, &r->md.m[i]) || r->md.m[i].version >= max ||
		    (has_to && r->md.m[i].version > to))
			continue;
		if (r->o->allow_out_of_order)
			log_warn("applying %s out of order (newest applied is "
			    "%" PRIu64 ")", r->md.m[i].up.base, max);
		else
			log_err("%s is older than the newest applied version "
			    "%" PRIu64 " and was never applied",
			    r->md.m[i].up.base, max);
		n++;
	}
	if (n > 0 && !r->o->allow_out_of_order) {
		log_err("refusing to apply out of order; rename the file to a "
		    "newer version, or run with --allow-out-of-order");
		return DBM_EXIT_ORDER;
	}
	return 0;
}

/* What a command was asked for: up and down to a version (when has_to),
 * down by a count, baseline at version to. */
struct target {
	int has_to;
	uint64_t to;
	long count;
};

/* The schema figures of the node-exporter textfile, from the history
 * as it is after the run. */
static void
run_metrics_schema(struct run *r, struct prom *p)
{
	unsigned long long pending = 0, failed = 0;
	size_t i;

	if (r->db == NULL || run_flush(r) == -1)
		return;
	history_free(&r->h);
	if (history_load(r->db, &r->h) == -1)
		return;
	for (i = 0; i < r->md.n; i++)
		pending += is_pending(r, &r->md.m[i]);
	for (i = 0; i < r->h.n; i++)
		failed += !r->h.rows[i].success;
	prom_family(p, "foobar_dbmigrate_schema_version", "gauge",
	    "Newest migration version applied successfully.");
	prom_sample(p, "foobar_dbmigrate_schema_version",
	    (unsigned long long)history_max_applied(&r->h), PROM_END);
	prom_family(p, "foobar_dbmigrate_pending_migrations", "gauge",
	    "Migrations in the folder not applied yet.");
	prom_sample(p, "foobar_dbmigrate_pending_migrations", pending, PROM_END);
	prom_family(p, "foobar_dbmigrate_failed_migrations", "gauge",
	    "Failed (or interrupted) migrations recorded in the history.");
	prom_sample(p, "foobar_dbmigrate_failed_migrations", failed, PROM_END);
}

/* Writes the node-exporter textfile after a run that exits with rc. A
 * folder that is not there (no node-exporter) is no error. */
static void
run_metrics(struct run *r, int rc)
{
	const char *path = r->o->metrics_file;
	struct prom p;
	char err[512];

	if (path == NULL || strcmp(path, "off") == 0 || r->o->dry_run)
		return;
	prom_init(&p);
	run_metrics_schema(r, &p);
	prom_family(&p, "foobar_dbmigrate_last_run_timestamp_seconds",
	    "gauge", "When foobar-dbmigrate last ran a command.");
	prom_sample(&p, "foobar_dbmigrate_last_run_timestamp_seconds",
	    (unsigned long long)time(NULL), PROM_END);
	prom_family(&p, "foobar_dbmigrate_last_run_success", "gauge",
	    "1 when the last command succeeded (status: also with pending "
	    "migrations), else 0.");
	prom_sample(&p, "foobar_dbmigrate_last_run_success",
	    rc == 0 || rc == DBM_EXIT_PENDING, PROM_END);
	prom_family(&p, "foobar_dbmigrate_last_run_exit_status", "gauge",
	    "Exit status of the last command (see foobar-dbmigrate(1)).");
	prom_sample(&p, "foobar_dbmigrate_last_run_exit_status",
	    (unsigned long long)rc, PROM_END);
	if (p.failed)
		log_err("metrics textfile: out of memory");
	else if (prom_file_write(path, p.buf, p.len, err, sizeof(err)) == -1)
		log_info("metrics textfile not written: %s", err);
	prom_free(&p);
}

/* Opens a run (locked when asked), runs fn on it and closes it. Returns
 * fn's exit status, or run_open's. */
static int
run_cmd(const struct dbm_opts *o, int lock,
    int (*fn)(struct run *, const struct target *), const struct target *t)
{
	struct run r;
	int rc;

	if ((rc = run_open(&r, o, lock)) == 0)
		rc = fn(&r, t);
	run_metrics(&r, rc);
	run_close(&r);
	return rc;
}

/* Applies the pending migrations with autocommit off, so that the
 * history's bookkeeping shares commits (and fsyncs) with the migrations:
 * a DDL statement commits implicitly before it runs, so a migration's
 * start record is durable before its first DDL; DML of a migration is
 * committed with the next bookkeeping (at the next DDL or at the end); a
 * failure is recorded and committed at once. */
static int
do_up(struct run *r, const struct target *t)
{
	size_t i;
	int rc, n = 0;

	if ((rc = check_failed(r)) != 0 || (rc = refuse_drift(r, 0)) != 0 ||
	    (rc = check_order(r, t->has_to, t->to)) != 0)
		return rc;
	if (!r->o->dry_run) {
		if (db_exec(r->db, "SET autocommit = 0") == -1) {
			log_err("set autocommit: %s", db_error(r->db));
			return EXIT_RUNTIME;
		}
		r->batch = 1;
	}
	for (i = 0; i < r->md.n; i++) {
		if (!is_pending(r, &r->md.m[i]) ||
		    (t->has_to && r->md.m[i].version > t->to))
			continue;
		if ((rc = run_file(r, &r->md.m[i], 0)) != 0)
			return rc;
		n++;
	}
	if (n == 0)
		printf("nothing to apply (newest applied version: %" PRIu64
		    ")\n", history_max_applied(&r->h));
	return run_flush(r) == -1 ? EXIT_RUNTIME : EXIT_OK;
}

int
cmd_up(const struct dbm_opts *o, int has_to, uint64_t to)
{
	struct target t = { .has_to = has_to, .to = to };

	return run_cmd(o, 1, do_up, &t);
}

/* The applied rows to revert, newest first, into list (r->h.n slots). */
static size_t
down_targets(struct run *r, long count, int has_to, uint64_t to,
    struct hrow **list)
{
	size_t i, n = 0;

	for (i = r->h.n; i > 0; i--) {
		if (!r->h.rows[i - 1].success)
			continue;
		if (has_to ? r->h.rows[i - 1].version <= to :
		    (long)n >= count)
			break;
		list[n++] = &r->h.rows[i - 1];
	}
	return n;
}

/* Every target needs its down file, checked before anything runs. */
static int
down_check_files(struct run *r, struct hrow **list, size_t n)
{
	struct migration *m;
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		m = mdir_find(&r->md, list[i]->version);
		if (m == NULL) {
			log_err("cannot revert %" PRIu64 "_%s: no migration "
			    "files for it in %s", list[i]->version,
			    list[i]->name, r->o->dir);
			rc = DBM_EXIT_FILES;
		} else if (m->down.path == NULL) {
			log_err("cannot revert %" PRIu64 "_%s: %s/%" PRIu64
			    "_%s.down.sql does not exist", m->version, m->name,
			    r->o->dir, m->version, m->name);
			rc = DBM_EXIT_FILES;
		}
	}
	return rc;
}

static int
do_down(struct run *r, const struct target *t)
{
	struct hrow **list;
	size_t i, n;
	int rc;

	if ((rc = check_failed(r)) != 0)
		return rc;
	if ((list = calloc(r->h.n + 1, sizeof(struct hrow *))) == NULL) {
		log_err("out of memory");
		return EXIT_RUNTIME;
	}
	n = down_targets(r, t->count, t->has_to, t->to, list);
	if ((rc = down_check_files(r, list, n)) == 0) {
		for (i = 0; i < n && rc == 0; i++)
			rc = run_file(r, mdir_find(&r->md, list[i]->version),
			    1);
		if (n == 0)
			printf("nothing to revert\n");
	}
	free(list);
	return rc;
}

int
cmd_down(const struct dbm_opts *o, long count, int has_to, uint64_t to)
{
	struct target t = { .has_to = has_to, .to = to, .count = count };

	return run_cmd(o, 1, do_down, &t);
}

static int
do_redo(struct run *r, const struct target *t)
{
	struct hrow *last;
	struct migration *m;
	int rc;

	if ((rc = check_failed(r)) != 0)
		return rc;
	if (down_targets(r, 1, 0, 0, &last) == 0) {
		log_err("redo: no applied migration");
		return EXIT_RUNTIME;
	}
	if ((rc = refuse_drift(r, last->version)) != 0 ||
	    (rc = down_check_files(r, &last, 1)) != 0)
		return rc;
	m = mdir_find(&r->md, last->version);
	if ((rc = run_file(r, m, 1)) != 0 || (rc = run_file(r, m, 0)) != 0)
		return rc;
	return run_flush(r) == -1 ? EXIT_RUNTIME : EXIT_OK;
}

int
cmd_redo(const struct dbm_opts *o)
{
	return run_cmd(o, 1, do_redo, NULL);
}

/* One line of status for a version: from the history, the folder or
 * both. */
static void
status_line(struct run *r, struct hrow *h, struct migration *m,
    uint64_t max, int *counts)
{
	const char *state;
	char when[64] = "";

	if (h == NULL && m == NULL)
		return;
	if (h == NULL) {
		state = m->version < max ? "pending (out of order)" :
		    "pending";
		counts[0]++;
	} else {
		switch (row_state(h, m)) {
		case ROW_FAILED:
			state = strcmp(h->action, "down") == 0 ?
			    "FAILED (down)" : "FAILED";
			counts[1]++;
			break;
		case ROW_NO_CHECKSUM:
			state = "baseline";
			break;
		case ROW_MISSING:
			state = "applied, file missing";
			counts[2]++;
			break;
		case ROW_CHANGED:
			state = "applied, file CHANGED";
			counts[2]++;
			break;
		default:
			state = strcmp(h->action, "baseline") == 0 ?
			    "baseline" : "applied";
			break;
		}
	}
	if (h != NULL)
		snprintf(when, sizeof(when), "%s  %lld ms", h->applied_at,
		    h->duration_ms);
	printf("%-14" PRIu64 "  %-30s  %-22s  %s\n", h ? h->version :
	    m->version, h ? h->name : m->name, state, when);
	if (h != NULL && !h->success)
		printf("%16s%s\n", "", h->error ? h->error :
		    "interrupted before it finished");
}

static int
do_status(struct run *r, const struct target *t)
{
	uint64_t max = history_max_applied(&r->h);
	size_t i = 0, j = 0;
	int counts[3] = { 0, 0, 0 };	/* pending, failed, drift */
	struct hrow *h;
	struct migration *m;

	printf("%-14s  %-30s  %-22s  %s\n", "VERSION", "NAME", "STATE",
	    "APPLIED (UTC)  DURATION");
	while (i < r->h.n || j < r->md.n) {
		h = i < r->h.n ? &r->h.rows[i] : NULL;
		m = j < r->md.n ? &r->md.m[j] : NULL;
		if (h && m && h->version == m->version)
			i++, j++;
		else if (h && (!m || h->version < m->version))
			i++, m = NULL;
		else
			j++, h = NULL;
		status_line(r, h, m, max, counts);
	}
	printf("%d pending, %d failed, %d changed or missing\n", counts[0],
	    counts[1], counts[2]);
	if (counts[1])
		return DBM_EXIT_FAILED;
	if (counts[2])
		return DBM_EXIT_DRIFT;
	return counts[0] ? DBM_EXIT_PENDING : EXIT_OK;
}

int
cmd_status(const struct dbm_opts *o)
{
	return run_cmd(o, 0, do_status, NULL);
}

static int
nopk_row(void *arg, unsigned ncols, char **v, const unsigned long *lens)
{
	int *n = arg;
	char name[200];

	if (ncols < 1 || v[0] == NULL)
		return -1;
	log_escape(name, sizeof(name), v[0], lens[0]);
	log_warn("table %s has no primary key (a Galera cluster needs one "
	    "on every table)", name);
	(*n)++;
	return 0;
}

/* Warns about each base table of the database without a primary key.
 * Returns how many, or -1 (logged). */
static int
check_primary_keys(struct run *r)
{
	static const char q[] = "SELECT t.TABLE_NAME FROM "
	    "information_schema.TABLES t WHERE t.TABLE_SCHEMA = DATABASE() "
	    "AND t.TABLE_TYPE = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM "
	    "information_schema.TABLE_CONSTRAINTS c WHERE "
	    "c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME "
	    "AND c.CONSTRAINT_TYPE = 'PRIMARY KEY') ORDER BY t.TABLE_NAME";
	int n = 0;

	if (db_query(r->db, q, sizeof(q) - 1, nopk_row, &n) == -1) {
		log_err("list tables without a primary key: %s",
		    db_error(r->db));
		return -1;
	}
	return n;
}

static int
do_validate(struct run *r, const struct target *t)
{
	int drift, rc;

	drift = check_drift(r, 0, 0);
	if ((rc = check_failed(r)) != 0)
		return rc;
	if (check_primary_keys(r) == -1)
		return EXIT_RUNTIME;
	if (drift > 0) {
		log_err("%d applied migration(s) differ from their files; "
		    "'foobar-dbmigrate repair' accepts the files as they are "
		    "now", drift);
		return DBM_EXIT_DRIFT;
	}
	printf("%zu applied migration(s) match their files\n", r->h.n);
	return EXIT_OK;
}

int
cmd_validate(const struct dbm_opts *o)
{
	return run_cmd(o, 0, do_validate, NULL);
}

static int
do_baseline(struct run *r, const struct target *t)
{
	uint64_t version = t->to;
	struct migration *m;
	size_t i;
	int exact = 0;

	if (r->h.n > 0) {
		log_err("baseline: dbmigrate_history already has %zu "
		    "record(s); baseline is for a database migrated before "
		    "dbmigrate managed it", r->h.n);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < r->md.n && r->md.m[i].version <= version; i++) {
		m = &r->md.m[i];
		exact |= m->version == version;
		printf("baseline %" PRIu64 "_%s%s\n", m->version, m->name,
		    r->o->dry_run ? " (dry run)" : "");
		if (!r->o->dry_run && history_insert_baseline(r->db,
		    m->version, m->name, m->up.checksum) == -1)
			return EXIT_RUNTIME;
	}
	if (!exact) {
		printf("baseline %" PRIu64 " (no file)%s\n", version,
		    r->o->dry_run ? " (dry run)" : "");
		if (!r->o->dry_run && history_insert_baseline(r->db, version,
		    "baseline", "") == -1)
			return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int
cmd_baseline(const struct dbm_opts *o, uint64_t version)
{
	struct target t = { .to = version };

	return run_cmd(o, 1, do_baseline, &t);
}

static int
do_repair(struct run *r, const struct target *t)
{
	const char *dry = r->o->dry_run ? " (dry run)" : "";
	struct migration *m;
	struct hrow *h;
	size_t i;
	int n = 0;

	for (i = 0; i < r->h.n; i++) {
		h = &r->h.rows[i];
		m = mdir_find(&r->md, h->version);
		switch (row_state(h, m)) {
		case ROW_FAILED:
			printf("removing the failed record of %" PRIu64 "_%s "
			    "(it now counts as not applied)%s\n", h->version,
			    h->name, dry);
			if (!r->o->dry_run &&
			    history_delete(r->db, h->version) == -1)
				return EXIT_RUNTIME;
			n++;
			break;
		case ROW_CHANGED:
			printf("accepting the changed file %s%s\n", m->up.base,
			    dry);
			if (!r->o->dry_run && history_realign(r->db,
			    h->version, m->name, m->up.checksum) == -1)
				return EXIT_RUNTIME;
			n++;
			break;
		case ROW_MISSING:
			log_warn("applied migration %" PRIu64 "_%s has no "
			    "file; left as it is", h->version, h->name);
			break;
		default:
			break;
		}
	}
	if (n == 0)
		printf("nothing to repair\n");
	return EXIT_OK;
}

int
cmd_repair(const struct dbm_opts *o)
{
	return run_cmd(o, 1, do_repair, NULL);
}

static int
new_file(const char *dir, const char *version, const char *name,
    const char *kind, const char *body)
{
	char *path;
	FILE *f;
	int fd;

	if (asprintf(&path, "%s/%s_%s.%s.sql", dir, version, name, kind) ==
	    -1) {
		log_err("out of memory");
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		log_err("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		free(path);
		return -1;
	}
	fprintf(f, "-- %s_%s: %s\n", version, name, body);
	if (fclose(f) != 0) {
		log_err("%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	printf("%s\n", path);
	free(path);
	return 0;
}

/* 0 when no migration file of dir has that version yet. */
static int
new_version_used(const char *dir, const char *version)
{
	uint64_t v = strtoull(version, NULL, 10), fv;
	const char *name;
	size_t name_len;
	enum mdir_kind kind;
	struct dirent *de;
	char err[256];
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		log_err("migrations folder %s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (mdir_parse_name(de->d_name, &fv, &name, &name_len, &kind,
		    err, sizeof(err)) == 1 && fv == v) {
			log_err("%s/%s already has version %s; try again in "
			    "a second", dir, de->d_name, version);
			rc = -1;
		}
	closedir(d);
	return rc;
}

static void
new_unlink(const char *dir, const char *version, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s_%s.up.sql", dir, version, name) != -1) {
		unlink(path);
		free(path);
	}
}

int
cmd_new(const struct dbm_opts *o, const char *name)
{
	char version[32];
	time_t t = time(NULL);
	struct tm tm;
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') && name[i] != '_' &&
		    name[i] != '-')
			break;
	if (i == 0 || name[i] != '\0' || i > 200) {
		log_err("new: name must be 1 to 200 letters, digits, _ or -");
		return EXIT_USAGE;
	}
	gmtime_r(&t, &tm);
	strftime(version, sizeof(version), "%Y%m%d%H%M%S", &tm);
	if (new_version_used(o->dir, version) != 0)
		return EXIT_RUNTIME;
	if (o->dry_run) {
		printf("%s/%s_%s.up.sql (dry run)\n%s/%s_%s.down.sql (dry "
		    "run)\n", o->dir, version, name, o->dir, version, name);
		return EXIT_OK;
	}
	if (new_file(o->dir, version, name, "up", "write the SQL that "
	    "applies this change (an empty file is refused)") == -1)
		return EXIT_RUNTIME;
	if (new_file(o->dir, version, name, "down", "write the SQL that "
	    "reverts the up file") == -1) {
		new_unlink(o->dir, version, name);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
