/* provision.c - the service's privileged step: as root, create the
 * database and its unix_socket user named in the option file when they
 * are missing. Fixed SQL; names are checked, never interpolated raw. */
#include "dbmigrate.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "db.h"
#include "dbcnf.h"
#include "log.h"

#define ER_PARSE_ERROR 1064

static int
prov_name_ok(const char *what, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_')
			break;
	if (i > 0 && s[i] == '\0' && i <= max)
		return 1;
	log_err("provision: %s \"%s\" must be 1 to %zu letters, digits or _",
	    what, s, max);
	return 0;
}

static int
prov_exec(struct db *db, const char *sql)
{
	if (db_exec(db, sql) == 0)
		return 0;
	log_err("provision: %s: %s", sql, db_error(db));
	return -1;
}

int
cmd_provision(const struct dbm_opts *o)
{
	struct dbcnf p;
	struct db_opts dbo = { o->option_file, o->group, 10, 0, 0, "root",
		"mysql" };
	char err[768], sql[512];
	enum db_fail fail;
	struct db *db;
	int rc = EXIT_RUNTIME;

	if (dbcnf_read(o->option_file, o->group, &p) == -1) {
		log_err("option file %s: cannot open", o->option_file);
		return EXIT_CONFIG;
	}
	if (p.password || p.tcp) {
		printf("provision: %s uses a password or TCP; create the "
		    "database and user yourself\n", o->option_file);
		return EXIT_OK;
	}
	if (!prov_name_ok("database", p.database, 64) ||
	    !prov_name_ok("user", p.user, 80))
		return EXIT_CONFIG;
	if (strcmp(p.user, "root") == 0) {
		log_err("provision: user root: the migrations run as an "
		    "unprivileged user");
		return EXIT_CONFIG;
	}
	if ((db = db_open(&dbo, err, sizeof(err), &fail)) == NULL) {
		log_err("provision: %s", err);
		return fail == DB_FAIL_CONFIG ? EXIT_CONFIG : EXIT_RUNTIME;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS `%s` "
	    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", p.database);
	if (prov_exec(db, sql) == -1)
		goto out;
	snprintf(sql, sizeof(sql), "CREATE USER IF NOT EXISTS "
	    "'%s'@'localhost' IDENTIFIED VIA unix_socket", p.user);
	if (db_exec(db, sql) == -1 && db_errno(db) == ER_PARSE_ERROR) {
		/* MySQL spells MariaDB's unix_socket auth_socket. */
		snprintf(sql, sizeof(sql), "CREATE USER IF NOT EXISTS "
		    "'%s'@'localhost' IDENTIFIED WITH auth_socket", p.user);
		(void)db_exec(db, sql);
	}
	if (db_errno(db) != 0) {
		log_err("provision: %s: %s", sql, db_error(db));
		goto out;
	}
	snprintf(sql, sizeof(sql), "GRANT ALL PRIVILEGES ON `%s`.* TO "
	    "'%s'@'localhost'", p.database, p.user);
	if (prov_exec(db, sql) == -1)
		goto out;
	printf("provision: database %s and user %s@localhost (unix_socket) "
	    "are in place\n", p.database, p.user);
	rc = EXIT_OK;
out:
	db_close(db);
	return rc;
}
