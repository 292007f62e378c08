/* conf.c - backup.conf: [backup], [database], [restore]. */
#include "backup.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define KEY(n, t, f, lo, hi) \
	{ n, t, offsetof(struct bk_conf, f), lo, hi, NULL }

static const struct conf_key backup_keys[] = {
	KEY("dir", CONF_STRING, dir, 0, 0),
	KEY("keep_daily", CONF_INT, keep_daily, 0, 10000),
	KEY("keep_weekly", CONF_INT, keep_weekly, 0, 10000),
	KEY("copy_to", CONF_STRING, copy_to, 0, 0),
	KEY("compress_level", CONF_INT, level, 1, 19),
	KEY("textfile", CONF_STRING, textfile, 0, 0),
	KEY("scratch_dir", CONF_STRING, scratch_dir, 0, 0),
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key database_keys[] = {
	KEY("option_file", CONF_STRING, option_file, 0, 0),
	KEY("group", CONF_STRING, group, 0, 0),
	KEY("user", CONF_STRING, user, 0, 0),
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key restore_keys[] = {
	KEY("migrations", CONF_STRING, migrations, 0, 0),
	KEY("maintenance_file", CONF_STRING, maintenance_file, 0, 0),
	KEY("stop_app", CONF_STRING, stop_app, 0, 0),
	KEY("start_app", CONF_STRING, start_app, 0, 0),
	KEY("migrate", CONF_STRING, migrate, 0, 0),
	KEY("lock_timeout", CONF_INT, lock_timeout, 0, 86400),
	{ NULL, 0, 0, 0, 0, NULL }
};

static void *
bk_conf_open(void *ctx, const char *arg, char *err, size_t errlen)
{
	return ctx;
}

static const struct conf_section sections[] = {
	{ "backup", 0, backup_keys, bk_conf_open },
	{ "database", 0, database_keys, bk_conf_open },
	{ "restore", 0, restore_keys, bk_conf_open },
	{ NULL, 0, NULL, NULL }
};

static int
set_default(char **field, const char *value)
{
	if (*field != NULL)
		return 0;
	return (*field = strdup(value)) == NULL ? -1 : 0;
}

static int
bk_conf_defaults(struct bk_conf *c)
{
	if (set_default(&c->dir, "/var/backups/foobar") == -1 ||
	    set_default(&c->copy_to, "") == -1 ||
	    set_default(&c->textfile, "/var/lib/prometheus/node-exporter/"
	    "foobar_backup.prom") == -1 ||
	    set_default(&c->scratch_dir, "/var/tmp") == -1 ||
	    set_default(&c->option_file, "/etc/foobar/db.cnf") == -1 ||
	    set_default(&c->group, "foobar") == -1 ||
	    set_default(&c->user, "root") == -1 ||
	    set_default(&c->migrations, "/usr/share/foobar/migrations") == -1 ||
	    set_default(&c->maintenance_file, "/run/foobar/maintenance") ==
	    -1 ||
	    set_default(&c->stop_app, "systemctl stop foobar-appd.socket "
	    "foobar-appd-metrics.socket foobar-appd.service") == -1 ||
	    set_default(&c->start_app, "systemctl start foobar-appd.socket "
	    "foobar-appd-metrics.socket foobar-appd.service") == -1 ||
	    set_default(&c->migrate, "systemctl restart "
	    "foobar-dbmigrate.service") == -1)
		return -1;
	return 0;
}

/* Values the loader cannot check alone. */
static int
bk_conf_check(const char *path, struct bk_conf *c, char *err,
    size_t errlen)
{
	int line;

	if (c->dir[0] != '/') {
		line = conf_key_line(path, "backup", "dir", 0);
		snprintf(err, errlen, "%s:%d: dir must be an absolute path",
		    path, line);
		return -1;
	}
	if (c->keep_daily == 0 && c->keep_weekly == 0) {
		line = conf_key_line(path, "backup", "keep_daily", 0);
		snprintf(err, errlen, "%s:%d: keep_daily and keep_weekly are "
		    "both 0: prune would keep only the newest backup", path,
		    line);
		return -1;
	}
	if (c->maintenance_file[0] != '/' &&
	    strcmp(c->maintenance_file, "off") != 0) {
		line = conf_key_line(path, "restore", "maintenance_file", 0);
		snprintf(err, errlen, "%s:%d: maintenance_file must be an "
		    "absolute path or off", path, line);
		return -1;
	}
	return 0;
}

int
bk_conf_load(const char *path, int missing_ok, struct bk_conf *c,
    char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->keep_daily = 7;
	c->keep_weekly = 4;
	c->level = 3;
	c->lock_timeout = 10;
	if (!(missing_ok && access(path, F_OK) == -1 && errno == ENOENT) &&
	    conf_load(path, sections, c, err, errlen) == -1)
		return -1;
	if (bk_conf_defaults(c) == -1) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return bk_conf_check(path, c, err, errlen);
}

void
bk_conf_free(struct bk_conf *c)
{
	conf_free_fields(backup_keys, c);
	conf_free_fields(database_keys, c);
	conf_free_fields(restore_keys, c);
}
