/* accesslog.c - the access log in the combined log format. */
#include "webd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

struct accesslog {
	int fd;		/* -1: to stderr through log.c; -2: off */
};

struct accesslog *
accesslog_open(const char *target, char *err, size_t errlen)
{
	struct accesslog *al = calloc(1, sizeof(*al));

	if (al == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strcmp(target, "stderr") == 0) {
		al->fd = -1;
	} else if (strcmp(target, "off") == 0) {
		al->fd = -2;
	} else {
		al->fd = open(target, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0640);
		if (al->fd == -1) {
			snprintf(err, errlen, "access_log %s: %s", target,
			    strerror(errno));
			free(al);
			return NULL;
		}
	}
	return al;
}

void
accesslog_close(struct accesslog *al)
{
	if (al == NULL)
		return;
	if (al->fd >= 0)
		close(al->fd);
	free(al);
}

int
accesslog_enabled(const struct accesslog *al)
{
	return al != NULL && al->fd != -2;
}

/* Appends a quoted-string field's content, escaped, or "-". */
static size_t
accesslog_field(char *buf, size_t len, size_t n, const char *s)
{
	if (n >= len)
		return n;
	if (s == NULL || *s == '\0') {
		buf[n] = '-';
		return n + 1 < len ? n + 1 : n;
	}
	return n + log_escape(buf + n, len - n, s, strlen(s));
}

size_t
accesslog_format(char *buf, size_t len, const struct accesslog_entry *e)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	size_t n;

	if (len < 128) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	gmtime_r(&e->when, &tm);
	n = accesslog_field(buf, len, 0, e->addr);
	n += (size_t)snprintf(buf + n, len - n,
	    " - - [%02d/%s/%04d:%02d:%02d:%02d +0000] \"", tm.tm_mday,
	    mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	n = accesslog_field(buf, len - 80, n, e->method);
	if (n < len - 80)
		buf[n++] = ' ';
	n = accesslog_field(buf, len - 80, n, e->uri);
	if (n < len - 80)
		buf[n++] = ' ';
	n = accesslog_field(buf, len - 80, n, e->version);
	n += (size_t)snprintf(buf + n, len - n, "\" %d %llu \"", e->status,
	    e->bytes);
	n = accesslog_field(buf, len - 4, n, e->referer);
	n += (size_t)snprintf(buf + n, len - n, "\" \"");
	n = accesslog_field(buf, len - 10, n, e->user_agent);
	/* the scheme after the combined format's fields */
	n += (size_t)snprintf(buf + n, len - n, "\" %s",
	    e->scheme != NULL ? e->scheme : "http");
	return n < len ? n : len - 1;
}

void
accesslog_write(struct accesslog *al, const struct accesslog_entry *e)
{
	char line[4096];
	size_t n;

	if (!accesslog_enabled(al))
		return;
	n = accesslog_format(line, sizeof(line) - 1, e);
	if (al->fd == -1) {
		log_info("%s", line);
		return;
	}
	line[n++] = '\n';
	if (write(al->fd, line, n) < 0) {
		/* a full disk must not stop serving */
	}
}
