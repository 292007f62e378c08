/* provision.c - the service's privileged step: as root, create the
 * database and its unix_socket user named in the option file when they
 * are missing. Fixed SQL; names are checked, never interpolated raw. */
#include "dbmigrate.h"

#include <stdio.h>
#include <string.h>

#include <ini.h>

#include "cli.h"
#include "db.h"
#include "log.h"

#define ER_PARSE_ERROR 1064

struct prov {
	const char *group;
	char database[80];
	char user[96];
	int password;	/* the file sets a password */
	int tcp;	/* the file sets a host other than localhost */
};

static void
prov_set(char *dst, size_t dstlen, const char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
		snprintf(dst, dstlen, "%.*s", (int)(n - 2), v + 1);
	else
		snprintf(dst, dstlen, "%s", v);
}

/* The groups the client library reads, besides ours. */
static int
prov_group(const struct prov *p, const char *section)
{
	return strcmp(section, p->group) == 0 ||
	    strcmp(section, "client") == 0 ||
	    strcmp(section, "client-server") == 0 ||
	    strcmp(section, "client-mariadb") == 0;
}

static int
prov_key(void *arg, const char *section, const char *key, const char *val)
{
	struct prov *p = arg;

	if (!prov_group(p, section))
		return 1;
	if (strcmp(key, "database") == 0)
		prov_set(p->database, sizeof(p->database), val);
	else if (strcmp(key, "user") == 0)
		prov_set(p->user, sizeof(p->user), val);
	else if (strcmp(key, "password") == 0)
		p->password = 1;
	else if (strcmp(key, "host") == 0)
		p->tcp = strcmp(val, "localhost") != 0;
	return 1;
}

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
	struct prov p = { o->group, "", "", 0, 0 };
	struct db_opts dbo = { o->option_file, o->group, 10, 0, 0, "root",
		"mysql" };
	char err[768], sql[512];
	enum db_fail fail;
	struct db *db;
	int rc = EXIT_RUNTIME;

	if (ini_parse(o->option_file, prov_key, &p) == -1) {
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
