/* conf.c - appd.conf: the key table of each section and the defaults. */
#include "appd.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sd.h"

#define OFF(f) offsetof(struct appd_conf, f)

static const struct conf_key appd_server_keys[] = {
	{ "listen", CONF_STRING, OFF(listen), 0, 0, NULL },
	{ "workers", CONF_INT, OFF(workers), 1, APPD_MAX_WORKERS, NULL },
	{ "max_requests", CONF_INT, OFF(max_requests), 0, 1000000000, NULL },
	{ "request_timeout", CONF_DURATION, OFF(request_timeout), 0,
	    86400000, NULL },
	{ "queue_timeout", CONF_DURATION, OFF(queue_timeout), 0, 3600000,
	    NULL },
	{ "idle_timeout", CONF_DURATION, OFF(idle_timeout), 100, 3600000,
	    NULL },
	{ "status_path", CONF_STRING, OFF(status_path), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key appd_app_keys[] = {
	{ "module", CONF_STRING, OFF(module), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key appd_cgi_keys[] = {
	{ "prefix", CONF_STRING, OFF(cgi_prefix), 0, 0, NULL },
	{ "root", CONF_STRING, OFF(cgi_root), 0, 0, NULL },
	{ "timeout", CONF_DURATION, OFF(cgi_timeout), 100, 86400000, NULL },
	{ "max_output", CONF_SIZE, OFF(cgi_max_output), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key appd_db_keys[] = {
	{ "option_file", CONF_STRING, OFF(db_option_file), 0, 0, NULL },
	{ "group", CONF_STRING, OFF(db_group), 0, 0, NULL },
	{ "connect_timeout", CONF_DURATION, OFF(db_connect_timeout), 1000,
	    60000, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key appd_metrics_keys[] = {
	{ "listen", CONF_STRING, OFF(metrics_listen), 0, 0, NULL },
	{ "slow_request", CONF_DURATION, OFF(slow_request), 0, 86400000,
	    NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static void *
appd_conf_open(void *ctx, const char *arg, char *err, size_t errlen)
{
	return ctx;
}

static const struct conf_section appd_sections[] = {
	{ "server", 0, appd_server_keys, appd_conf_open },
	{ "app", 0, appd_app_keys, appd_conf_open },
	{ "cgi", 0, appd_cgi_keys, appd_conf_open },
	{ "database", 0, appd_db_keys, appd_conf_open },
	{ "metrics", 0, appd_metrics_keys, appd_conf_open },
	{ NULL, 0, NULL, NULL }
};

/* Fills the string defaults that the file did not set. */
static int
appd_conf_defaults(struct appd_conf *c)
{
	struct {
		char **field;
		const char *value;
	} d[] = {
		{ &c->listen, "unix:/run/foobar/appd.sock" },
		{ &c->db_option_file, "/etc/foobar/db.cnf" },
		{ &c->db_group, "foobar" },
		{ &c->metrics_listen, "off" },
	};
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (*d[i].field == NULL &&
		    (*d[i].field = strdup(d[i].value)) == NULL)
			return -1;
	return 0;
}

int
appd_conf_load(struct appd_conf *c, const char *path, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	char msg[256];

	memset(c, 0, sizeof(*c));
	c->workers = 4;
	c->max_requests = 10000;
	c->request_timeout = 30000;
	c->queue_timeout = 1000;
	c->idle_timeout = 60000;
	c->cgi_timeout = 30000;
	c->cgi_max_output = 64LL << 20;
	c->db_connect_timeout = 1000;
	c->slow_request = 5000;
	if (conf_load(path, appd_sections, c, err, errlen) == -1)
		return -1;
	if (appd_conf_defaults(c) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (c->cgi_prefix != NULL && c->cgi_prefix[0] != '/') {
		snprintf(err, errlen, "%s: [cgi] prefix must start with /",
		    path);
		return -1;
	}
	if (c->cgi_prefix != NULL && c->cgi_root == NULL) {
		snprintf(err, errlen, "%s: [cgi] prefix needs root", path);
		return -1;
	}
	if (strcmp(c->metrics_listen, "off") != 0 &&
	    sdsock_parse(c->metrics_listen, &ss, &sslen, msg, sizeof(msg)) ==
	    -1) {
		snprintf(err, errlen, "%s: [metrics] listen: %s", path, msg);
		return -1;
	}
	if (c->status_path != NULL && c->status_path[0] != '/') {
		snprintf(err, errlen, "%s: status_path must start with /",
		    path);
		return -1;
	}
	return 0;
}

void
appd_conf_free(struct appd_conf *c)
{
	conf_free_fields(appd_server_keys, c);
	conf_free_fields(appd_app_keys, c);
	conf_free_fields(appd_cgi_keys, c);
	conf_free_fields(appd_db_keys, c);
	conf_free_fields(appd_metrics_keys, c);
}
