/* dbcnf.c - the account and the way to the server in a MySQL option file
 * (see dbcnf.h). */
#include "dbcnf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

struct dbcnf_ctx {
	const char *group;
	struct dbcnf *out;
	int host_tcp;		/* host= names another machine */
	int proto;		/* protocol=: -1 unset, 0 other, 1 tcp */
};

static void
dbcnf_set(char *dst, size_t dstlen, const char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
		snprintf(dst, dstlen, "%.*s", (int)(n - 2), v + 1);
	else
		snprintf(dst, dstlen, "%s", v);
}

/* The groups the client library reads, besides the program's. */
static int
dbcnf_group(const struct dbcnf_ctx *x, const char *section)
{
	return strcmp(section, x->group) == 0 ||
	    strcmp(section, "client") == 0 ||
	    strcmp(section, "client-server") == 0 ||
	    strcmp(section, "client-mariadb") == 0;
}

static int
dbcnf_key(void *arg, const char *section, const char *key, const char *val)
{
	struct dbcnf_ctx *x = arg;
	char v[256];

	if (!dbcnf_group(x, section))
		return 1;
	if (strcmp(key, "database") == 0) {
		dbcnf_set(x->out->database, sizeof(x->out->database), val);
	} else if (strcmp(key, "user") == 0) {
		dbcnf_set(x->out->user, sizeof(x->out->user), val);
	} else if (strcmp(key, "password") == 0) {
		x->out->password = 1;
	} else if (strcmp(key, "host") == 0) {
		dbcnf_set(v, sizeof(v), val);
		x->host_tcp = v[0] != '\0' && strcmp(v, "localhost") != 0;
	} else if (strcmp(key, "protocol") == 0) {
		dbcnf_set(v, sizeof(v), val);
		x->proto = strcasecmp(v, "tcp") == 0;
	}
	return 1;
}

static void
dbcnf_init(struct dbcnf_ctx *x, const char *group, struct dbcnf *out)
{
	memset(out, 0, sizeof(*out));
	x->group = group;
	x->out = out;
	x->host_tcp = 0;
	x->proto = -1;
}

/* protocol= decides when it is given; else the host does. */
static void
dbcnf_done(struct dbcnf_ctx *x)
{
	x->out->tcp = x->proto == -1 ? x->host_tcp : x->proto;
}

int
dbcnf_parse(const char *text, const char *group, struct dbcnf *out)
{
	struct dbcnf_ctx x;

	dbcnf_init(&x, group, out);
	if (ini_parse_string(text, dbcnf_key, &x) < 0)
		return -1;
	dbcnf_done(&x);
	return 0;
}

int
dbcnf_read(const char *path, const char *group, struct dbcnf *out)
{
	struct dbcnf_ctx x;
	FILE *fp;

	dbcnf_init(&x, group, out);
	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	(void)ini_parse_file(fp, dbcnf_key, &x);
	fclose(fp);
	dbcnf_done(&x);
	return 0;
}
