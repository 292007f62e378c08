/* restore.c - puts the database back to a backup.
 *
 * The backup is loaded into a staging database DB__restore while the
 * site keeps serving, dumped again and compared with the manifest. Only
 * then is appd stopped, and one RENAME TABLE moves every live table out
 * (to DB__old, dropped afterwards) and every restored table in: atomic,
 * so the live database is either as it was or as the backup. Newer
 * migrations are applied, then appd starts again. The whole run holds
 * dbmigrate's lock, so that no migration and no other restore runs
 * meanwhile. */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "db.h"
#include "log.h"

struct restore {
	struct bk_conf *c;
	struct bk_file f;
	struct db *db;
	char dbname[80];
	char staging[96];
	char old[96];
	char *tmpdir;
	uint64_t known;		/* newest installed migration */
	int locked;
	int stopped;		/* stop_app ran */
	int maint;		/* the maintenance file is ours to remove */
};

/* The newest migration version in dir (0 when none or unreadable). */
static uint64_t
known_version(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t max = 0, v;
	const char *name;
	size_t nlen;
	enum mdir_kind kind;
	char err[256];

	if (d == NULL) {
		log_warn("migrations %s: cannot read it; assuming none", dir);
		return 0;
	}
	while ((e = readdir(d)) != NULL)
		if (mdir_parse_name(e->d_name, &v, &name, &nlen, &kind, err,
		    sizeof(err)) == 1 && kind == MDIR_UP && v > max)
			max = v;
	closedir(d);
	return max;
}

static int
confirm(const struct restore *r, int yes)
{
	char line[16];

	if (yes)
		return 0;
	if (!isatty(STDIN_FILENO)) {
		log_err("restore replaces database %s: refusing without --yes "
		    "(standard input is not a terminal)", r->dbname);
		return -1;
	}
	fprintf(stderr, "Replace every table of database %s with backup %s "
	    "(created %s)? Type yes: ", r->dbname, r->f.path,
	    r->f.m.created_at);
	if (fgets(line, sizeof(line), stdin) == NULL ||
	    strcmp(line, "yes\n") != 0) {
		log_err("restore: not confirmed; nothing changed");
		return -1;
	}
	return 0;
}

static int
rexec(struct restore *r, const char *sql)
{
	if (db_exec(r->db, sql) == 0)
		return 0;
	log_err("restore: %s: %s", sql, db_error(r->db));
	return -1;
}

/* Backup checks that need no change: database, schema. */
static int
restore_check(struct restore *r)
{
	if (strcmp(r->f.m.database, r->dbname) != 0) {
		log_err("%s is a backup of database %s; this server's database "
		    "is %s (option file %s): refusing", r->f.path,
		    r->f.m.database, r->dbname, r->c->option_file);
		return -1;
	}
	r->known = known_version(r->c->migrations);
	if (r->f.m.schema_version > r->known) {
		log_err("%s has schema version %" PRIu64 ", newer than the "
		    "newest migration installed here (%" PRIu64 " in %s): "
		    "install the foobar version that made it (%s) first",
		    r->f.path, r->f.m.schema_version, r->known,
		    r->c->migrations, r->f.m.foobar_version);
		return -1;
	}
	return 0;
}

/* Loads the backup into the staging database and compares. */
static int
restore_stage(struct restore *r)
{
	char sql[1024], cnf[4200];

	snprintf(r->staging, sizeof(r->staging), "%s__restore", r->dbname);
	snprintf(r->old, sizeof(r->old), "%s__old", r->dbname);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`",
	    r->staging);
	if (rexec(r, sql) == -1)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE `%s` CHARACTER SET "
	    "utf8mb4", r->staging);
	if (rexec(r, sql) == -1 || (r->tmpdir = bk_tmpdir()) == NULL)
		return -1;
	snprintf(cnf, sizeof(cnf), "%s/client.cnf", r->tmpdir);
	if (bk_db_write_cnf(r->db, cnf) == -1)
		return -1;
	log_info("loading %s into %s (the site keeps running)", r->f.path,
	    r->staging);
	return bk_load_compare(&r->f, cnf, r->staging, 1);
}

/* Refuses schemas that RENAME TABLE cannot move between databases. */
static int
restore_plain(struct restore *r)
{
	char sql[1024], n[32];

	snprintf(sql, sizeof(sql), "SELECT (SELECT COUNT(*) FROM "
	    "information_schema.VIEWS WHERE TABLE_SCHEMA = '%s') + (SELECT "
	    "COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA "
	    "= '%s') + (SELECT COUNT(*) FROM information_schema.ROUTINES "
	    "WHERE ROUTINE_SCHEMA = '%s')", r->staging, r->staging,
	    r->staging);
	if (db_query_value(r->db, sql, n, sizeof(n)) != 1) {
		log_err("restore: %s", db_error(r->db));
		return -1;
	}
	if (strcmp(n, "0") != 0) {
		log_err("restore: the backup has views, triggers or routines, "
		    "which this restore cannot swap in atomically; load it by "
		    "hand (zstd -dc FILE | mariadb DB)");
		return -1;
	}
	return 0;
}

struct names {
	FILE *fp;
	const char *from, *to;
	int n;
};

static int
rename_row(void *arg, unsigned ncols, char **v, const unsigned long *lens)
{
	struct names *nm = arg;
	char q[400];
	size_t i, j = 0;

	for (i = 0; i < lens[0] && j < sizeof(q) - 2; i++) {
		if (v[0][i] == '`')
			q[j++] = '`';
		q[j++] = v[0][i];
	}
	q[j] = '\0';
	fprintf(nm->fp, "%s`%s`.`%s` TO `%s`.`%s`", nm->n++ ? ", " : "",
	    nm->from, q, nm->to, q);
	return 0;
}

/* Adds "from.t TO to.t" for every base table of from but
 * dbmigrate_lock: on Galera its row is the cluster-wide lock that this
 * restore holds (it stays in the live database), and a row the backup
 * caught from a migration that ran meanwhile would block the next ones
 * for its lease. */
static int
rename_list(struct restore *r, struct names *nm, const char *from,
    const char *to)
{
	char sql[1024];

	nm->from = from;
	nm->to = to;
	snprintf(sql, sizeof(sql), "SELECT TABLE_NAME FROM information_schema"
	    ".TABLES WHERE TABLE_SCHEMA = '%s' AND TABLE_TYPE = 'BASE TABLE' "
	    "AND TABLE_NAME <> 'dbmigrate_lock'", from);
	if (db_query(r->db, sql, strlen(sql), rename_row, nm) == -1) {
		log_err("restore: list tables of %s: %s", from,
		    db_error(r->db));
		return -1;
	}
	return 0;
}

/* One RENAME TABLE: live tables out, restored tables in. */
static int
restore_swap(struct restore *r)
{
	struct names nm = { NULL, NULL, NULL, 0 };
	char sql[1024], *buf = NULL;
	size_t len;
	int rc = -1;

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`", r->old);
	if (rexec(r, sql) == -1)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE `%s`", r->old);
	if (rexec(r, sql) == -1 ||
	    (nm.fp = open_memstream(&buf, &len)) == NULL)
		return -1;
	fputs("RENAME TABLE ", nm.fp);
	if (rename_list(r, &nm, r->dbname, r->old) == 0 &&
	    rename_list(r, &nm, r->staging, r->dbname) == 0 &&
	    fclose(nm.fp) == 0) {
		nm.fp = NULL;
		rc = nm.n == 0 ? 0 : db_exec(r->db, buf);
		if (rc == -1)
			log_err("restore: swapping the tables: %s",
			    db_error(r->db));
	}
	if (nm.fp != NULL)
		fclose(nm.fp);
	free(buf);
	return rc;
}

static void
restore_cleanup(struct restore *r)
{
	char sql[1024];

	if (r->db != NULL && r->staging[0] != '\0') {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`",
		    r->staging);
		(void)rexec(r, sql);
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS `%s`",
		    r->old);
		(void)rexec(r, sql);
	}
	if (r->locked)
		history_unlock(r->db);
	r->locked = 0;
	if (r->stopped && r->c->start_app[0] != '\0' &&
	    tool_sh("start_app", r->c->start_app, NULL) != 0)
		log_err("restore: start_app failed: start the application "
		    "server by hand");
	r->stopped = 0;
	if (r->maint && unlink(r->c->maintenance_file) == -1 &&
	    errno != ENOENT)
		log_err("restore: cannot remove %s: %s: the API answers 503 "
		    "until it is gone", r->c->maintenance_file,
		    strerror(errno));
	r->maint = 0;
	db_close(r->db);
	r->db = NULL;
	bk_rmtree(r->tmpdir);
	free(r->tmpdir);
	bkf_close(&r->f);
}

/* webd answers the API with 503 and Retry-After while the file exists
 * (its maintenance_file), rather than 502 for a stopped appd. An existing
 * file is the administrator's: left as it is, and not removed. */
static int
maintenance_on(struct restore *r)
{
	const char *p = r->c->maintenance_file;
	char dir[4096], *slash;
	int fd;

	if (strcmp(p, "off") == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s", p);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
			log_err("restore: %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		if (errno == EEXIST)
			return 0;
		log_err("restore: %s: %s", p, strerror(errno));
		return -1;
	}
	r->maint = 1;
	close(fd);
	return 0;
}

/* After the swap: unlock, migrate when the backup is older. */
static int
restore_migrate(struct restore *r)
{
	history_unlock(r->db);
	r->locked = 0;
	if (r->f.m.schema_version == r->known)
		return 0;
	log_notice("restore: the backup has schema %" PRIu64 ", the "
	    "migrations go to %" PRIu64 ": migrating", r->f.m.schema_version,
	    r->known);
	if (r->c->migrate[0] == '\0' ||
	    tool_sh("migrate", r->c->migrate, NULL) != 0) {
		log_err("restore: the data is back, but the migration failed: "
		    "run foobar-dbmigrate up");
		return -1;
	}
	return 0;
}

static int
restore_run(struct restore *r, int yes)
{
	int lk;

	if ((r->db = bk_connect(r->c, NULL)) == NULL ||
	    bk_current_db(r->db, r->dbname, sizeof(r->dbname)) == -1 ||
	    restore_check(r) == -1 || confirm(r, yes) == -1)
		return -1;
	if ((lk = history_lock(r->db, (long)r->c->lock_timeout)) != 0) {
		if (lk == -1)
			log_err("restore: could not take dbmigrate's lock; "
			    "nothing changed");
		else
			log_err("restore: a migration or another restore is "
			    "running; nothing changed");
		return -1;
	}
	r->locked = 1;
	if (restore_stage(r) == -1 || restore_plain(r) == -1) {
		log_err("restore: nothing changed in database %s", r->dbname);
		return -1;
	}
	if (maintenance_on(r) == -1) {
		log_err("restore: nothing changed in database %s", r->dbname);
		return -1;
	}
	if (r->c->stop_app[0] != '\0') {
		r->stopped = 1;
		if (tool_sh("stop_app", r->c->stop_app, NULL) != 0) {
			log_err("restore: stop_app failed; nothing changed");
			return -1;
		}
	}
	if (restore_swap(r) == -1) {
		log_err("restore: nothing changed in database %s", r->dbname);
		return -1;
	}
	log_notice("restored %s into database %s", r->f.path, r->dbname);
	return restore_migrate(r);
}

int
cmd_restore(struct bk_conf *c, const char *name, int yes)
{
	struct restore r;
	uint64_t schema;
	char *path;
	int rc;

	memset(&r, 0, sizeof(r));
	r.c = c;
	r.f.fd = -1;
	if ((path = bk_path(c, name)) == NULL)
		return EXIT_RUNTIME;
	if (bk_open_checked(&r.f, path) == -1) {
		log_err("restore: refusing %s; nothing changed", path);
		free(path);
		return EXIT_RUNTIME;
	}
	free(path);
	schema = r.f.m.schema_version;
	rc = restore_run(&r, yes);
	restore_cleanup(&r);
	if (rc == 0)
		printf("restored %s (schema %" PRIu64 ")\n", name, schema);
	return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}
