/* cmd.c - create, list, verify, prune, and what restore.c shares. */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "dbcnf.h"
#include "log.h"
#include "prom.h"

#define ER_NO_SUCH_TABLE 1146
#define STALE_TMP (24 * 3600)	/* prune removes older temporary files */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
bk_path(const struct bk_conf *c, const char *name)
{
	char *p;

	if (strchr(name, '/') != NULL)
		return strdup(name);
	if (asprintf(&p, "%s/%s", c->dir, name) == -1)
		return NULL;
	return p;
}

/* The configured user logs in over the Unix socket (MariaDB's root by
 * unix_socket authentication). A server reached over TCP, as the web
 * hosts of several servers reach theirs, knows no such login: there the
 * option file's own account (user and password) is used. */
static const char *
bk_user(const struct bk_conf *c)
{
	struct dbcnf f;

	if (c->user[0] == '\0')
		return NULL;
	if (dbcnf_read(c->option_file, c->group, &f) == 0 && f.tcp) {
		log_info("%s reaches the server over TCP: connecting as its "
		    "user %s, not %s", c->option_file, f.user[0] ? f.user :
		    "(default)", c->user);
		return NULL;
	}
	return c->user;
}

struct db *
bk_connect(const struct bk_conf *c, const char *database)
{
	struct db_opts o = { c->option_file, c->group, 10, 0, 0, bk_user(c),
		database };
	char err[768];
	struct db *db;

	if ((db = db_open(&o, err, sizeof(err), NULL)) == NULL)
		log_err("%s", err);
	return db;
}

static int
name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_')
			return 0;
	return i > 0 && i <= 54;
}

int
bk_current_db(struct db *db, char *buf, size_t len)
{
	int r = db_query_value(db, "SELECT DATABASE()", buf, len);

	if (r == -1) {
		log_err("SELECT DATABASE(): %s", db_error(db));
		return -1;
	}
	if (r == 0) {
		log_err("no database: set database= in the option file");
		return -1;
	}
	if (!name_ok(buf)) {
		log_err("database name \"%s\": foobar-backup takes 1 to 54 "
		    "letters, digits or _", buf);
		return -1;
	}
	return 0;
}

int
bk_schema_version(struct db *db, uint64_t *v)
{
	char buf[32];
	int r;

	r = db_query_value(db, "SELECT COALESCE(MAX(version), 0) FROM "
	    "dbmigrate_history WHERE success = 1", buf, sizeof(buf));
	if (r == -1 && db_errno(db) == ER_NO_SUCH_TABLE) {
		*v = 0;
		return 0;
	}
	if (r == -1) {
		log_err("read dbmigrate_history: %s", db_error(db));
		return -1;
	}
	*v = strtoull(buf, NULL, 10);
	return 0;
}

char *
bk_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *d;

	if (asprintf(&d, "%s/foobar-backup.XXXXXX", t && *t ? t : "/tmp") ==
	    -1)
		return NULL;
	if (mkdtemp(d) == NULL) {
		log_err("mkdtemp %s: %s", d, strerror(errno));
		free(d);
		return NULL;
	}
	return d;
}

int
bk_open_checked(struct bk_file *f, const char *path)
{
	char err[1024];

	if (bkf_open(f, path, err, sizeof(err)) == -1) {
		log_err("%s", err);
		return -1;
	}
	if (bkf_check(f, err, sizeof(err)) == -1) {
		log_err("%s", err);
		bkf_close(f);
		return -1;
	}
	return 0;
}

static int
scan_sink(void *arg, const char *buf, size_t len)
{
	struct scan *s = arg;

	return scan_feed(s, buf, len);
}

int
bk_load_compare(struct bk_file *f, const char *cnf, const char *dbname,
    int compare)
{
	struct manifest got;
	struct scan s;
	char err[512];
	int rc = -1;

	if (tool_load(cnf, dbname, f) == -1)
		return -1;
	if (!compare)
		return 0;
	memset(&got, 0, sizeof(got));
	scan_init(&s);
	if (tool_dump(cnf, dbname, scan_sink, &s) == -1 ||
	    scan_finish(&s) == -1) {
		log_err("dump of the restored copy: %s", s.err[0] ? s.err :
		    "failed");
	} else if (manifest_set_tables(&got, &s) == -1) {
		log_err("out of memory");
	} else if (manifest_compare(&f->m, &got, err, sizeof(err)) == -1) {
		log_err("%s: the restored copy differs from the backup: %s",
		    f->path, err);
	} else {
		rc = 0;
	}
	manifest_free(&got);
	scan_free(&s);
	return rc;
}

/* --- create --- */

struct create {
	struct scan scan;
	struct bk_writer w;
};

static int
create_sink(void *arg, const char *buf, size_t len)
{
	struct create *cr = arg;

	if (scan_feed(&cr->scan, buf, len) == -1) {
		log_err("reading the dump: %s", cr->scan.err);
		return -1;
	}
	return bkw_write(&cr->w, buf, len);
}

/* Node-exporter textfile, replaced atomically (lib/prom.c); only after a
 * success, so that a failing backup shows as an ageing last-success time.
 * Nothing is written where node-exporter's folder does not exist. */
static void
write_textfile(const struct bk_conf *c, const struct bk_file *f,
    long long ms, int copied)
{
	struct prom p;
	char err[512];

	if (strcmp(c->textfile, "off") == 0 || c->textfile[0] == '\0')
		return;
	prom_init(&p);
	prom_family(&p, "foobar_backup_last_success_timestamp_seconds",
	    "gauge", "When the newest backup was created.");
	prom_sample(&p, "foobar_backup_last_success_timestamp_seconds",
	    (unsigned long long)time(NULL), PROM_END);
	prom_family(&p, "foobar_backup_last_size_bytes", "gauge",
	    "Size of the newest backup.");
	prom_sample(&p, "foobar_backup_last_size_bytes", f->size, PROM_END);
	prom_family(&p, "foobar_backup_last_duration_seconds", "gauge",
	    "How long creating the newest backup took.");
	prom_sample_double(&p, "foobar_backup_last_duration_seconds",
	    ms / 1000.0, NULL, NULL);
	if (copied != -1) {
		prom_family(&p, "foobar_backup_last_copy_success", "gauge",
		    "1 when copy_to succeeded for the newest backup.");
		prom_sample(&p, "foobar_backup_last_copy_success",
		    copied == 1, PROM_END);
	}
	if (p.failed)
		log_warn("textfile %s: out of memory", c->textfile);
	else if (prom_file_write(c->textfile, p.buf, p.len, err,
	    sizeof(err)) == -1)
		log_warn("textfile %s", err);
	prom_free(&p);
}

static void
create_manifest(struct manifest *m, const char *dbname, struct db *db,
    uint64_t schema, time_t t)
{
	struct tm tm;

	memset(m, 0, sizeof(*m));
	m->format = 1;
	snprintf(m->foobar_version, sizeof(m->foobar_version), "%s",
	    FOOBAR_VERSION);
	gmtime_r(&t, &tm);
	strftime(m->created_at, sizeof(m->created_at), "%Y-%m-%dT%H:%M:%SZ",
	    &tm);
	snprintf(m->database, sizeof(m->database), "%s", dbname);
	snprintf(m->server_version, sizeof(m->server_version), "%s",
	    db_server_info(db));
	m->schema_version = schema;
}

/* Dumps into a new file; 0 with the manifest filled, or -1 (logged). */
static int
create_dump(struct bk_conf *c, struct db *db, const char *dbname,
    const char *name, struct manifest *m, long long t0)
{
	struct create cr;
	char *tmpdir = bk_tmpdir(), cnf[4200];
	uint64_t v2;
	int rc = -1;

	scan_init(&cr.scan);
	if (tmpdir == NULL)
		return -1;
	snprintf(cnf, sizeof(cnf), "%s/client.cnf", tmpdir);
	if (bk_db_write_cnf(db, cnf) == -1 ||
	    bkw_open(&cr.w, c->dir, name, (int)c->level) == -1)
		goto out;
	if (tool_dump(cnf, dbname, create_sink, &cr) == -1)
		goto out;
	if (scan_finish(&cr.scan) == -1) {
		log_err("reading the dump: %s", cr.scan.err);
		goto out;
	}
	if (bk_schema_version(db, &v2) == -1)
		goto out;
	if (v2 != m->schema_version) {
		log_err("a migration ran during the backup (schema %" PRIu64
		    " became %" PRIu64 "): run create again",
		    m->schema_version, v2);
		goto out;
	}
	m->duration_ms = now_ms() - t0;
	if (manifest_set_tables(m, &cr.scan) == -1) {
		log_err("out of memory");
		goto out;
	}
	rc = bkw_finish(&cr.w, m);
out:
	bkw_abort(&cr.w);
	scan_free(&cr.scan);
	bk_rmtree(tmpdir);
	free(tmpdir);
	return rc;
}

static uint64_t
total_rows(const struct manifest *m)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < m->ntables; i++)
		n += m->tables[i].rows;
	return n;
}

/* Sends the new file with copy_to. 1 copied, 0 failed, -1 none. */
static int
create_copy(const struct bk_conf *c, const char *path)
{
	if (c->copy_to[0] == '\0')
		return -1;
	if (tool_sh("copy_to", c->copy_to, path) == 0) {
		log_info("copy_to: %s sent", path);
		return 1;
	}
	log_err("copy_to failed for %s: the backup is only on this machine",
	    path);
	return 0;
}

/* The name of a new backup of dbname taken at *t: DB-YYYYMMDDTHHMMSSZ.sql.zst,
 * one second later (and *t with it) while a backup of that name exists, so
 * that two runs in the same second do not collide. */
static void
create_name(const struct bk_conf *c, const char *dbname, time_t *t,
    char *name, size_t len)
{
	char stamp[32], *path;
	struct tm tm;
	int taken;

	for (;;) {
		gmtime_r(t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(name, len, "%s-%s.sql.zst", dbname, stamp);
		if ((path = bk_path(c, name)) == NULL)
			return;
		taken = access(path, F_OK) == 0;
		free(path);
		if (!taken)
			return;
		(*t)++;
	}
}

static int
create_file(struct bk_conf *c, struct db *db, const char *dbname)
{
	char name[128], *path = NULL;
	long long t0 = now_ms();
	time_t t = time(NULL);
	struct manifest m;
	struct bk_file f;
	uint64_t schema;
	int copied, rc = EXIT_RUNTIME;

	create_name(c, dbname, &t, name, sizeof(name));
	if (bk_schema_version(db, &schema) == -1)
		return EXIT_RUNTIME;
	create_manifest(&m, dbname, db, schema, t);
	if (create_dump(c, db, dbname, name, &m, t0) == -1 ||
	    (path = bk_path(c, name)) == NULL ||
	    bk_open_checked(&f, path) == -1) {
		log_err("create: failed; no new backup, the older ones are "
		    "untouched");
		goto out;
	}
	log_notice("created %s: %" PRIu64 " bytes, %zu tables, %" PRIu64
	    " rows, schema %" PRIu64 ", %.1f s", path, f.size, m.ntables,
	    total_rows(&m), schema, m.duration_ms / 1000.0);
	printf("%s\n", path);
	copied = create_copy(c, path);
	write_textfile(c, &f, m.duration_ms, copied);
	bkf_close(&f);
	rc = copied == 0 ? EXIT_RUNTIME : EXIT_OK;
out:
	manifest_free(&m);
	free(path);
	return rc;
}

int
cmd_create(struct bk_conf *c)
{
	char dbname[80];
	struct db *db;
	int rc;

	if (mkdir(c->dir, 0700) == -1 && errno != EEXIST) {
		log_err("mkdir %s: %s", c->dir, strerror(errno));
		return EXIT_RUNTIME;
	}
	if ((db = bk_connect(c, NULL)) == NULL)
		return EXIT_RUNTIME;
	rc = bk_current_db(db, dbname, sizeof(dbname)) == -1 ? EXIT_RUNTIME :
	    create_file(c, db, dbname);
	db_close(db);
	return rc;
}

/* --- list --- */

static int
is_backup(const struct dirent *d)
{
	time_t t;

	return prune_parse_name(d->d_name, &t, NULL, 0);
}

/* The backups of c->dir, sorted by name (and so by time per database).
 * Returns the count, or -1 (logged). */
static int
list_names(const struct bk_conf *c, struct dirent ***out)
{
	int n = scandir(c->dir, out, is_backup, alphasort);

	if (n == -1)
		log_err("%s: %s", c->dir, strerror(errno));
	return n;
}

static void
free_names(struct dirent **d, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(d[i]);
	free(d);
}

static void
list_one(const struct bk_conf *c, const char *name)
{
	char *path = bk_path(c, name), err[1024];
	struct bk_file f;

	if (path == NULL)
		return;
	if (bkf_open(&f, path, err, sizeof(err)) == -1) {
		printf("%-40s %-20s %12s %8s  damaged: %s\n", name, "-", "-",
		    "-", err);
	} else {
		int bad = bkf_check(&f, err, sizeof(err));

		printf("%-40s %-20s %12" PRIu64 " %8" PRIu64 "  %s\n", name,
		    f.m.created_at, f.size, f.m.schema_version,
		    bad ? "damaged: checksum mismatch" : "ok");
		bkf_close(&f);
	}
	free(path);
}

int
cmd_list(struct bk_conf *c)
{
	struct dirent **d;
	int n, i;

	if ((n = list_names(c, &d)) == -1)
		return EXIT_RUNTIME;
	printf("%-40s %-20s %12s %8s  %s\n", "NAME", "CREATED", "BYTES",
	    "SCHEMA", "STATE");
	for (i = 0; i < n; i++)
		list_one(c, d[i]->d_name);
	free_names(d, n);
	return EXIT_OK;
}

/* --- verify --- */

/* The newest backup's name (by its time), malloc'd, or NULL (logged). */
static char *
newest_name(const struct bk_conf *c)
{
	struct dirent **d;
	time_t t, best = 0;
	char *name = NULL;
	int n, i;

	if ((n = list_names(c, &d)) == -1)
		return NULL;
	for (i = 0; i < n; i++)
		if (prune_parse_name(d[i]->d_name, &t, NULL, 0) &&
		    (name == NULL || t >= best)) {
			free(name);
			name = strdup(d[i]->d_name);
			best = t;
		}
	free_names(d, n);
	if (name == NULL)
		log_err("no backup in %s", c->dir);
	return name;
}

static int
verify_file(struct bk_conf *c, struct bk_file *f)
{
	struct db_opts o = { NULL, "client", 10, 0, 0, NULL, NULL };
	struct scratch s;
	char sql[256], err[512];
	struct db *db;
	int rc = -1;

	if (scratch_start(&s, c->scratch_dir) == -1)
		return -1;
	o.option_file = s.cnf;
	if ((db = db_open(&o, err, sizeof(err), NULL)) == NULL) {
		log_err("scratch server: %s", err);
		goto out;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE `%s` CHARACTER SET "
	    "utf8mb4", f->m.database);
	if (!name_ok(f->m.database) || db_exec(db, sql) == -1) {
		log_err("scratch server: create database %s: %s",
		    f->m.database, db_error(db));
		goto out;
	}
	rc = bk_load_compare(f, s.cnf, f->m.database, 1);
out:
	db_close(db);
	scratch_stop(&s);
	return rc;
}

int
cmd_verify(struct bk_conf *c, const char *name)
{
	char *owned = NULL, *path;
	struct bk_file f;
	int rc = EXIT_RUNTIME;

	if (name == NULL && (name = owned = newest_name(c)) == NULL)
		return EXIT_RUNTIME;
	if ((path = bk_path(c, name)) == NULL ||
	    bk_open_checked(&f, path) == -1)
		goto out;
	if (verify_file(c, &f) == 0) {
		printf("%s: ok (checksum, and a restore into a scratch server "
		    "gives %zu tables, %" PRIu64 " rows, as recorded)\n", path,
		    f.m.ntables, total_rows(&f.m));
		rc = EXIT_OK;
	} else {
		log_err("%s: verify failed", path);
	}
	bkf_close(&f);
out:
	free(path);
	free(owned);
	return rc;
}

/* --- prune --- */

static void
prune_stale_tmp(const struct bk_conf *c)
{
	DIR *d = opendir(c->dir);
	struct dirent *e;
	struct stat st;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.' || strstr(e->d_name, ".tmp.") == NULL ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1 || time(NULL) - st.st_mtime < STALE_TMP)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			log_info("prune: removed the stale temporary file %s",
			    e->d_name);
	}
	closedir(d);
}

int
cmd_prune(struct bk_conf *c)
{
	struct dirent **d;
	time_t *t;
	int *keep, n, i, removed = 0, rc = EXIT_OK;

	if ((n = list_names(c, &d)) == -1)
		return EXIT_RUNTIME;
	t = calloc((size_t)n + 1, sizeof(*t));
	keep = calloc((size_t)n + 1, sizeof(*keep));
	if (t == NULL || keep == NULL) {
		log_err("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	for (i = 0; i < n; i++)
		(void)prune_parse_name(d[i]->d_name, &t[i], NULL, 0);
	prune_select(t, (size_t)n, c->keep_daily, c->keep_weekly, keep);
	for (i = 0; i < n; i++) {
		char *p;

		if (keep[i])
			continue;
		p = bk_path(c, d[i]->d_name);
		if (p == NULL || unlink(p) == -1) {
			log_err("prune: remove %s: %s", p ? p : d[i]->d_name,
			    strerror(errno));
			rc = EXIT_RUNTIME;
		} else {
			log_info("prune: removed %s", p);
			removed++;
		}
		free(p);
	}
	prune_stale_tmp(c);
	printf("prune: kept %d, removed %d (keep_daily %lld, keep_weekly "
	    "%lld)\n", n - removed, removed, c->keep_daily, c->keep_weekly);
out:
	free(t);
	free(keep);
	free_names(d, n);
	return rc;
}
