/* stat.c - the servers of one proxy in HAProxy's "show stat" CSV (the
 * admin socket's answer); pure. */
#include "cluster.h"

#include <string.h>

/* Copies field n (from 0) of the comma-separated line [s, end) to out. */
static int
field(const char *s, const char *end, size_t n, char *out, size_t outlen)
{
	const char *e;
	size_t len;

	while (n > 0) {
		if ((s = memchr(s, ',', (size_t)(end - s))) == NULL)
			return -1;
		s++;
		n--;
	}
	e = memchr(s, ',', (size_t)(end - s));
	if (e == NULL)
		e = end;
	len = (size_t)(e - s);
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* The index of name in the "# pxname,svname,..." header, or -1. */
static int
column(const char *s, const char *end, const char *name)
{
	char f[64];
	size_t i;

	for (i = 0; i < 128; i++) {
		if (field(s, end, i, f, sizeof(f)) == -1)
			return -1;
		if (strcmp(f, name) == 0)
			return (int)i;
	}
	return -1;
}

int
stat_servers(const char *csv, const char *px,
    void (*fn)(void *arg, const char *sv, const char *status), void *arg)
{
	const char *s = csv, *end;
	char p[128], sv[128], st[64];
	int status_col, n = 0;

	if (strncmp(csv, "# ", 2) != 0)
		return -1;
	end = strchr(s, '\n');
	if (end == NULL)
		end = s + strlen(s);
	if ((status_col = column(s + 2, end, "status")) < 2)
		return -1;
	while (*end != '\0') {
		s = end + 1;
		if ((end = strchr(s, '\n')) == NULL)
			end = s + strlen(s);
		if (field(s, end, 0, p, sizeof(p)) == -1 ||
		    field(s, end, 1, sv, sizeof(sv)) == -1 ||
		    field(s, end, (size_t)status_col, st, sizeof(st)) == -1 ||
		    strcmp(p, px) != 0 || strcmp(sv, "FRONTEND") == 0 ||
		    strcmp(sv, "BACKEND") == 0)
			continue;
		fn(arg, sv, st);
		n++;
	}
	return n;
}
