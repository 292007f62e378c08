/* config.c - webd.conf: [server] and [location PREFIX] sections. */
#include "webd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "sd.h"

static const struct conf_key config_server_keys[] = {
	{ "trusted_proxy", CONF_LIST,
	    offsetof(struct webd_config, trusted_proxy), 0, 0, NULL },
	{ "listen", CONF_LIST, offsetof(struct webd_config, listen), 0, 0,
	    NULL },
	{ "listen_tls", CONF_LIST, offsetof(struct webd_config, listen_tls),
	    0, 0, NULL },
	{ "redirect_https", CONF_BOOL,
	    offsetof(struct webd_config, redirect_https), 0, 0, NULL },
	{ "acme_root", CONF_STRING, offsetof(struct webd_config, acme_root),
	    0, 0, NULL },
	{ "root", CONF_STRING, offsetof(struct webd_config, root), 0, 0,
	    NULL },
	{ "index", CONF_STRING, offsetof(struct webd_config, index), 0, 0,
	    NULL },
	{ "access_log", CONF_STRING, offsetof(struct webd_config, access_log),
	    0, 0, NULL },
	{ "max_body", CONF_SIZE, offsetof(struct webd_config, max_body), 0,
	    0, NULL },
	{ "header_timeout", CONF_DURATION,
	    offsetof(struct webd_config, header_timeout), 100, 3600000,
	    NULL },
	{ "keepalive_timeout", CONF_DURATION,
	    offsetof(struct webd_config, keepalive_timeout), 1000, 3600000,
	    NULL },
	{ "max_connections", CONF_INT,
	    offsetof(struct webd_config, max_connections), 1, 1000000, NULL },
	{ "max_connections_per_ip", CONF_INT,
	    offsetof(struct webd_config, max_connections_per_ip), 0, 1000000,
	    NULL },
	{ "max_header_size", CONF_SIZE,
	    offsetof(struct webd_config, max_header_size), 1024, 1048576,
	    NULL },
	{ "threads", CONF_INT, offsetof(struct webd_config, threads), 0, 256,
	    NULL },
	{ "cache_size", CONF_SIZE, offsetof(struct webd_config, cache_size),
	    0, 0, NULL },
	{ "cache_max_file", CONF_SIZE,
	    offsetof(struct webd_config, cache_max_file), 0, 0, NULL },
	{ "cache_valid", CONF_DURATION,
	    offsetof(struct webd_config, cache_valid), 0, 3600000, NULL },
	{ "drain_timeout", CONF_DURATION,
	    offsetof(struct webd_config, drain_timeout), 0, 3600000, NULL },
	{ "body_buffer_size", CONF_SIZE,
	    offsetof(struct webd_config, body_buffer_size), 1024,
	    64LL * 1024 * 1024, NULL },
	{ "body_timeout", CONF_DURATION,
	    offsetof(struct webd_config, body_timeout), 100, 3600000, NULL },
	{ "body_min_rate", CONF_SIZE,
	    offsetof(struct webd_config, body_min_rate), 0, 0, NULL },
	{ "body_rate_grace", CONF_DURATION,
	    offsetof(struct webd_config, body_rate_grace), 0, 3600000, NULL },
	{ "body_temp_path", CONF_STRING,
	    offsetof(struct webd_config, body_temp_path), 0, 0, NULL },
	{ "maintenance_file", CONF_STRING,
	    offsetof(struct webd_config, maintenance_file), 0, 0, NULL },
	{ "gzip_static", CONF_BOOL, offsetof(struct webd_config, gzip_static),
	    0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key config_location_keys[] = {
	{ "fastcgi_pass", CONF_LIST,
	    offsetof(struct webd_location, fastcgi_pass), 0, 0, NULL },
	{ "fastcgi_connect_timeout", CONF_DURATION,
	    offsetof(struct webd_location, connect_timeout), 1, 3600000,
	    NULL },
	{ "fastcgi_read_timeout", CONF_DURATION,
	    offsetof(struct webd_location, read_timeout), 1, 3600000, NULL },
	{ "fastcgi_keep_conn", CONF_BOOL,
	    offsetof(struct webd_location, keep_conn), 0, 0, NULL },
	{ "fastcgi_keepalive", CONF_INT,
	    offsetof(struct webd_location, keepalive), 0, 4096, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key config_metrics_keys[] = {
	{ "listen", CONF_STRING, offsetof(struct webd_config, metrics_listen),
	    0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

/* [tls]: the default certificate and the HSTS header. */
static const struct conf_key config_tls_keys[] = {
	{ "certificate", CONF_STRING,
	    offsetof(struct webd_tls, certificate), 0, 0, NULL },
	{ "key", CONF_STRING, offsetof(struct webd_tls, key), 0, 0, NULL },
	{ "hsts", CONF_INT, offsetof(struct webd_tls, hsts), 0, 1000000000,
	    NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

/* [tls NAME]: a certificate chosen by SNI. */
static const struct conf_key config_tls_name_keys[] = {
	{ "certificate", CONF_STRING,
	    offsetof(struct webd_tls, certificate), 0, 0, NULL },
	{ "key", CONF_STRING, offsetof(struct webd_tls, key), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static void *
config_open_server(void *ctx, const char *arg, char *err, size_t errlen)
{
	return ctx;
}

static void *
config_open_location(void *ctx, const char *arg, char *err, size_t errlen)
{
	struct webd_config *cf = ctx;
	struct webd_location *loc, **v;
	size_t i;

	if (arg[0] != '/') {
		snprintf(err, errlen, "a location prefix starts with /");
		return NULL;
	}
	for (i = 0; i < cf->nlocations; i++) {
		if (strcmp(cf->locations[i]->prefix, arg) == 0) {
			snprintf(err, errlen, "location %s repeated", arg);
			return NULL;
		}
	}
	v = realloc(cf->locations, (cf->nlocations + 1) *
	    sizeof(struct webd_location *));
	if (v == NULL)
		goto oom;
	cf->locations = v;
	loc = calloc(1, sizeof(*loc));
	if (loc == NULL || (loc->prefix = strdup(arg)) == NULL) {
		free(loc);
		goto oom;
	}
	loc->connect_timeout = 5000;
	loc->read_timeout = 60000;
	loc->keep_conn = 1;
	loc->keepalive = 64;
	cf->locations[cf->nlocations++] = loc;
	return loc;
oom:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

/* 1 when name is a DNS name as SNI sends it: letters, digits, '-' and
 * dots between labels. */
static int
config_host_name(const char *name)
{
	const char *p;
	size_t label = 0;

	if (*name == '\0' || strlen(name) > 253)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

static void *
config_open_tls(void *ctx, const char *arg, char *err, size_t errlen)
{
	struct webd_config *cf = ctx;
	struct webd_tls *t, **v;
	size_t i;

	if (arg != NULL && !config_host_name(arg)) {
		snprintf(err, errlen, "\"%s\" is not a host name", arg);
		return NULL;
	}
	for (i = 0; i < cf->ntls; i++) {
		const char *n = cf->tls[i]->name;

		if ((n == NULL && arg == NULL) || (n != NULL && arg != NULL &&
		    strcasecmp(n, arg) == 0)) {
			snprintf(err, errlen, "section repeated");
			return NULL;
		}
	}
	v = realloc(cf->tls, (cf->ntls + 1) * sizeof(struct webd_tls *));
	if (v == NULL)
		goto oom;
	cf->tls = v;
	t = calloc(1, sizeof(*t));
	if (t == NULL || (arg != NULL && (t->name = strdup(arg)) == NULL)) {
		free(t);
		goto oom;
	}
	if (arg == NULL) {	/* the default goes first */
		memmove(cf->tls + 1, cf->tls,
		    cf->ntls * sizeof(struct webd_tls *));
		cf->tls[0] = t;
	} else {
		cf->tls[cf->ntls] = t;
	}
	cf->ntls++;
	return t;
oom:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

static const struct conf_section config_sections[] = {
	{ "server", 0, config_server_keys, config_open_server },
	{ "location", 1, config_location_keys, config_open_location },
	{ "metrics", 0, config_metrics_keys, config_open_server },
	{ "tls", 0, config_tls_keys, config_open_tls },
	{ "tls", 1, config_tls_name_keys, config_open_tls },
	{ NULL, 0, NULL, NULL }
};

const struct webd_tls *
config_tls_default(const struct webd_config *cf)
{
	return cf->ntls > 0 && cf->tls[0]->name == NULL ? cf->tls[0] : NULL;
}

void
config_free(struct webd_config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->nlocations; i++) {
		conf_free_fields(config_location_keys, cf->locations[i]);
		free(cf->locations[i]->prefix);
		free(cf->locations[i]);
	}
	free(cf->locations);
	for (i = 0; i < cf->ntls; i++) {
		conf_free_fields(config_tls_keys, cf->tls[i]);
		free(cf->tls[i]->name);
		free(cf->tls[i]);
	}
	free(cf->tls);
	conf_free_fields(config_server_keys, cf);
	conf_free_fields(config_metrics_keys, cf);
	free(cf->path);
	free(cf);
}

static int
config_default(char **field, const char *value)
{
	if (*field == NULL && (*field = strdup(value)) == NULL)
		return -1;
	return 0;
}

/* The [tls] sections: each with a certificate and a key; [tls NAME]
 * and listen_tls need [tls]. The files are checked by tls_load(). */
static int
config_check_tls(const struct webd_config *cf, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < cf->ntls; i++) {
		const struct webd_tls *t = cf->tls[i];

		if (t->certificate == NULL || t->key == NULL) {
			snprintf(err, errlen, "%s: [tls%s%s] needs both "
			    "certificate and key", cf->path,
			    t->name ? " " : "", t->name ? t->name : "");
			return -1;
		}
	}
	if (config_tls_default(cf) == NULL && cf->ntls > 0) {
		snprintf(err, errlen, "%s: [tls %s] needs a [tls] section "
		    "(the certificate for other names)", cf->path,
		    cf->tls[0]->name);
		return -1;
	}
	if (config_tls_default(cf) == NULL && cf->listen_tls.n > 0) {
		snprintf(err, errlen, "%s:%d: listen_tls needs a [tls] section "
		    "with certificate and key", cf->path,
		    conf_key_line(cf->path, "server", "listen_tls", 0));
		return -1;
	}
	return 0;
}

/* Checks what the key table cannot. 0, or -1 with a message. */
static int
config_check(struct webd_config *cf, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char msg[256];
	size_t i, j;

	for (i = 0; i < cf->listen.n; i++) {
		if (sdsock_parse(cf->listen.v[i], &ss, &len, msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s: listen: %s", cf->path, msg);
			return -1;
		}
	}
	for (i = 0; i < cf->listen_tls.n; i++) {
		if (sdsock_parse(cf->listen_tls.v[i], &ss, &len, msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s:%d: listen_tls: %s", cf->path,
			    conf_key_line(cf->path, "server", "listen_tls", i),
			    msg);
			return -1;
		}
	}
	if (config_check_tls(cf, err, errlen) == -1)
		return -1;
	if (strcmp(cf->metrics_listen, "off") != 0 &&
	    sdsock_parse(cf->metrics_listen, &ss, &len, msg, sizeof(msg)) ==
	    -1) {
		snprintf(err, errlen, "%s: [metrics] listen: %s", cf->path, msg);
		return -1;
	}
	if (cf->root[0] != '/') {
		snprintf(err, errlen, "%s: root: \"%s\" is not an absolute path",
		    cf->path, cf->root);
		return -1;
	}
	if (cf->body_temp_path[0] != '/') {
		snprintf(err, errlen, "%s: body_temp_path: \"%s\" is not an "
		    "absolute path", cf->path, cf->body_temp_path);
		return -1;
	}
	if (cf->maintenance_file[0] != '/' &&
	    strcmp(cf->maintenance_file, "off") != 0) {
		snprintf(err, errlen, "%s: maintenance_file: \"%s\" is not an "
		    "absolute path or off", cf->path, cf->maintenance_file);
		return -1;
	}
	if (cf->acme_root[0] != '/' && strcmp(cf->acme_root, "off") != 0) {
		snprintf(err, errlen, "%s:%d: acme_root: \"%s\" is not an "
		    "absolute path or off", cf->path, conf_key_line(cf->path,
		    "server", "acme_root", 0), cf->acme_root);
		return -1;
	}
	if (cf->index[0] == '\0' || strchr(cf->index, '/') != NULL) {
		snprintf(err, errlen, "%s: index: \"%s\" is not a file name",
		    cf->path, cf->index);
		return -1;
	}
	for (i = 0; i < cf->nlocations; i++) {
		struct webd_location *loc = cf->locations[i];

		for (j = 0; j < loc->fastcgi_pass.n; j++) {
			if (sdsock_parse(loc->fastcgi_pass.v[j], &ss, &len,
			    msg, sizeof(msg)) == -1) {
				snprintf(err, errlen,
				    "%s: [location %s] fastcgi_pass: %s",
				    cf->path, loc->prefix, msg);
				return -1;
			}
		}
	}
	return 0;
}

/* trusted_proxy: addresses, kept in canonical form for comparisons. */
static int
config_trusted(struct webd_config *cf, char *err, size_t errlen)
{
	char norm[64], *dup;
	size_t i;

	for (i = 0; i < cf->trusted_proxy.n; i++) {
		if (realip_normalize(cf->trusted_proxy.v[i], norm,
		    sizeof(norm)) == -1) {
			snprintf(err, errlen, "%s:%d: trusted_proxy: \"%s\" is "
			    "not an IP address", cf->path, conf_key_line(
			    cf->path, "server", "trusted_proxy", i),
			    cf->trusted_proxy.v[i]);
			return -1;
		}
		if ((dup = strdup(norm)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		free(cf->trusted_proxy.v[i]);
		cf->trusted_proxy.v[i] = dup;
	}
	return 0;
}

struct webd_config *
config_load(const char *path, char *err, size_t errlen)
{
	struct webd_config *cf = calloc(1, sizeof(*cf));

	if (cf == NULL || (cf->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(cf);
		return NULL;
	}
	cf->max_body = 1024 * 1024;
	cf->header_timeout = 10000;
	cf->keepalive_timeout = 30000;
	cf->max_connections = 10000;
	cf->max_connections_per_ip = 256;
	cf->max_header_size = 8192;
	cf->cache_size = 64LL * 1024 * 1024;
	cf->cache_max_file = 256 * 1024;
	cf->drain_timeout = 30000;
	cf->body_buffer_size = 64 * 1024;
	cf->body_timeout = 60000;
	cf->body_min_rate = 1024;
	cf->body_rate_grace = 10000;
	cf->gzip_static = 1;
	if (conf_load(path, config_sections, cf, err, errlen) == -1)
		goto fail;
	if (config_default(&cf->root, "/usr/share/foobar/www") == -1 ||
	    config_default(&cf->index, "index.html") == -1 ||
	    config_default(&cf->access_log, "stderr") == -1 ||
	    config_default(&cf->body_temp_path, "/var/tmp") == -1 ||
	    config_default(&cf->maintenance_file,
	    "/run/foobar/maintenance") == -1 ||
	    config_default(&cf->metrics_listen, "off") == -1 ||
	    config_default(&cf->acme_root, "/var/lib/foobar/acme") == -1 ||
	    (cf->listen.n == 0 && cf->listen_tls.n == 0 &&
	    conf_list_add(&cf->listen, "127.0.0.1:8080") == -1)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (config_check(cf, err, errlen) == -1 ||
	    config_trusted(cf, err, errlen) == -1)
		goto fail;
	return cf;
fail:
	config_free(cf);
	return NULL;
}

const struct webd_location *
config_route(const struct webd_config *cf, const char *path)
{
	const struct webd_location *best = NULL;
	size_t i, bestlen = 0;

	for (i = 0; i < cf->nlocations; i++) {
		const char *p = cf->locations[i]->prefix;
		size_t n = strlen(p);

		if (n > bestlen && strncmp(path, p, n) == 0) {
			best = cf->locations[i];
			bestlen = n;
		}
	}
	return best;
}
