/* conf.c - INI configuration files read with libinih. */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A single-valued key already set in one section instance. */
struct conf_seen {
	const void *obj;
	const struct conf_key *key;
};

/* The line reader handed to inih: one physical line per call, so that
 * inih's line numbers are the file's. inih (Debian: INI_MAX_LINE 200)
 * splits a longer line into pieces that it parses as lines of their own,
 * so such a line is refused here instead. */
struct conf_reader {
	FILE *f;
	char *buf;		/* getline's */
	size_t cap;
	int line;		/* the line last handed to inih, from 1 */
	int section_line;	/* the line of the last [section] header */
	int stop;		/* the handler failed: read no further */
	int err;		/* CONF_READ_* or an errno, at line */
	size_t max;		/* the longest line inih takes */
	/* Called with each [section] header, as inih will read it, before
	 * inih sees it (even when no key follows); 0, or -1 to stop. */
	int (*on_section)(void *user, const char *name, size_t len);
	void *user;
};

enum { CONF_READ_LONG = -1, CONF_READ_NUL = -2 };

struct conf_state {
	struct conf_reader *rd;
	const struct conf_section *sections;
	void *ctx;
	char cur_name[256];	/* the raw section header last opened */
	const struct conf_section *cur;
	void *cur_obj;
	struct conf_seen *seen;
	size_t nseen, seen_cap;
	char msg[512];		/* the first error */
	int failed;
	int fail_at;		/* the line inih was on when it happened */
	int msg_line;		/* the line the message is about */
};

static void __attribute__((format(printf, 3, 0)))
conf_failv(struct conf_state *st, int line, const char *fmt, va_list ap)
{
	if (st->failed)
		return;
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	st->failed = 1;
	st->fail_at = st->rd->line;
	st->msg_line = line;
	st->rd->stop = 1;	/* only the first error is reported */
}

/* Records the first error, about the line being parsed; returns 0, which
 * tells inih that this line is in error. */
static int __attribute__((format(printf, 2, 3)))
conf_fail(struct conf_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_failv(st, st->rd->line, fmt, ap);
	va_end(ap);
	return 0;
}

/* The same about the current section's header line. */
static int __attribute__((format(printf, 2, 3)))
conf_fail_section(struct conf_state *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_failv(st, st->rd->section_line ? st->rd->section_line :
	    st->rd->line, fmt, ap);
	va_end(ap);
	return 0;
}

/* Where a section header's name ends, as inih finds it: at the ']', or at
 * an inline comment or the end of the line, which inih calls a syntax
 * error. */
static const char *
conf_section_end(const char *s)
{
	int was_space = 0;

	while (*s != '\0' && *s != ']' && !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/* inih's reader: the next line without its newline in str (num bytes),
 * or NULL at the end, on a read error, on a line longer than num - 1
 * bytes or with a NUL byte (rd->err says which), or after a failure. */
static char *
conf_read_line(char *str, int num, void *stream)
{
	struct conf_reader *rd = stream;
	const char *p;
	ssize_t n;

	if (rd->stop || rd->err != 0 || num < 2)
		return NULL;
	errno = 0;
	n = getline(&rd->buf, &rd->cap, rd->f);
	if (n == -1) {
		if (ferror(rd->f))
			rd->err = errno != 0 ? errno : EIO;
		return NULL;
	}
	rd->line++;
	rd->max = (size_t)num - 1;
	if (n > 0 && rd->buf[n - 1] == '\n')
		n--;
	if (n > 0 && rd->buf[n - 1] == '\r')
		n--;
	if (memchr(rd->buf, '\0', (size_t)n) != NULL) {
		rd->err = CONF_READ_NUL;
		return NULL;
	}
	if ((size_t)n > rd->max) {
		rd->err = CONF_READ_LONG;
		return NULL;
	}
	memcpy(str, rd->buf, (size_t)n);
	str[n] = '\0';
	p = str;
	if (rd->line == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;	/* a UTF-8 byte order mark, which inih skips */
	if (*p == '[' && rd->on_section != NULL) {
		const char *end = conf_section_end(p + 1);

		rd->section_line = rd->line;
		if (*end == ']' && rd->on_section(rd->user, p + 1,
		    (size_t)(end - p - 1)) == -1)
			return NULL;
	} else if (p[strspn(p, " \t")] == '[') {
		rd->section_line = rd->line;
	}
	return str;
}

int
conf_parse_int(const char *s, long long min, long long max, long long *out,
    char *err, size_t errlen)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE) {
		snprintf(err, errlen, "\"%s\" is not a whole number", s);
		return -1;
	}
	if ((min != 0 || max != 0) && (v < min || v > max)) {
		snprintf(err, errlen, "%lld is out of range (%lld to %lld)", v,
		    min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Parses "N" followed by one of the units; unit factors in mult. */
static int
conf_parse_scaled(const char *s, const char *const *units,
    const long long *mult, long long *out)
{
	char *end;
	long long v;
	size_t i;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno == ERANGE || v < 0 || *s == '-' || *s == '+')
		return -1;
	for (i = 0; units[i] != NULL; i++) {
		if (strcasecmp(end, units[i]) == 0) {
			if (v > LLONG_MAX / mult[i])
				return -1;
			*out = v * mult[i];
			return 0;
		}
	}
	return -1;
}

int
conf_parse_size(const char *s, long long *out, char *err, size_t errlen)
{
	static const char *const units[] = { "", "k", "m", "g", NULL };
	static const long long mult[] = { 1, 1024, 1024 * 1024,
		1024LL * 1024 * 1024 };

	if (conf_parse_scaled(s, units, mult, out) == -1) {
		snprintf(err, errlen,
		    "\"%s\" is not a size (bytes, or with k, m, g)", s);
		return -1;
	}
	return 0;
}

int
conf_parse_duration(const char *s, long long *ms, char *err, size_t errlen)
{
	static const char *const units[] = { "", "s", "ms", "m", "h", NULL };
	static const long long mult[] = { 1000, 1000, 1, 60000, 3600000 };

	if (conf_parse_scaled(s, units, mult, ms) == -1) {
		snprintf(err, errlen,
		    "\"%s\" is not a duration (seconds, or with ms, s, m, h)",
		    s);
		return -1;
	}
	return 0;
}

int
conf_parse_bool(const char *s, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "on", "true", "1", NULL };
	static const char *const no[] = { "no", "off", "false", "0", NULL };
	size_t i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	snprintf(err, errlen, "\"%s\" is not yes or no", s);
	return -1;
}

int
conf_list_add(struct conf_list *l, const char *s)
{
	char **v;
	char *copy = strdup(s);

	if (copy == NULL)
		return -1;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(copy);
		return -1;
	}
	v[l->n++] = copy;
	l->v = v;
	return 0;
}

void
conf_list_free(struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
conf_free_fields(const struct conf_key *keys, void *obj)
{
	const struct conf_key *k;

	for (k = keys; k->name != NULL; k++) {
		char *field = (char *)obj + k->offset;

		if (k->type == CONF_STRING) {
			free(*(char **)(void *)field);
			*(char **)(void *)field = NULL;
		} else if (k->type == CONF_LIST) {
			conf_list_free((struct conf_list *)(void *)field);
		}
	}
}

/* Records that key was set in the current section instance; 0 if it was
 * not set before, 1 if it was, -1 when out of memory. */
static int
conf_mark_seen(struct conf_state *st, const struct conf_key *key)
{
	size_t i;

	for (i = 0; i < st->nseen; i++)
		if (st->seen[i].obj == st->cur_obj && st->seen[i].key == key)
			return 1;
	if (st->nseen == st->seen_cap) {
		size_t cap = st->seen_cap ? st->seen_cap * 2 : 16;
		struct conf_seen *n = realloc(st->seen, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		st->seen = n;
		st->seen_cap = cap;
	}
	st->seen[st->nseen].obj = st->cur_obj;
	st->seen[st->nseen].key = key;
	st->nseen++;
	return 0;
}

static int
conf_set(struct conf_state *st, const struct conf_key *k, const char *value)
{
	char *field = (char *)st->cur_obj + k->offset;
	char err[256] = "";
	long long v;
	int r = 0;

	switch (k->type) {
	case CONF_STRING: {
		char *copy = strdup(value);

		if (copy == NULL)
			return conf_fail(st, "out of memory");
		free(*(char **)(void *)field);
		*(char **)(void *)field = copy;
		break;
	}
	case CONF_LIST:
		if (conf_list_add((struct conf_list *)(void *)field, value))
			return conf_fail(st, "out of memory");
		break;
	case CONF_INT:
		r = conf_parse_int(value, k->min, k->max, &v, err,
		    sizeof(err));
		break;
	case CONF_SIZE:
		r = conf_parse_size(value, &v, err, sizeof(err));
		break;
	case CONF_DURATION:
		r = conf_parse_duration(value, &v, err, sizeof(err));
		break;
	case CONF_BOOL:
		r = conf_parse_bool(value, (int *)(void *)field, err,
		    sizeof(err));
		break;
	case CONF_CUSTOM:
		r = k->parse(field, value, err, sizeof(err));
		break;
	}
	if (r == -1)
		return conf_fail(st, "%s: %s", k->name, err);
	if (k->type == CONF_INT || k->type == CONF_SIZE ||
	    k->type == CONF_DURATION) {
		if (k->type != CONF_INT && (k->min != 0 || k->max != 0) &&
		    (v < k->min || v > k->max))
			return conf_fail(st, "%s: \"%s\" is out of range",
			    k->name, value);
		*(long long *)(void *)field = v;
	}
	return 1;
}

/* 1 when a later entry of sections than s has the same name and takes
 * an argument as the header does (with_arg). */
static int
conf_open_other(const struct conf_section *s, const char *header,
    size_t namelen, int with_arg)
{
	for (s++; s->name != NULL; s++)
		if (strlen(s->name) == namelen &&
		    strncmp(s->name, header, namelen) == 0 &&
		    s->has_arg == with_arg)
			return 1;
	return 0;
}

/* Finds the section for a header like "location /api/"; 0 or -1. */
static int
conf_open(struct conf_state *st, const char *header)
{
	const struct conf_section *s;
	const char *arg = strchr(header, ' ');
	size_t namelen = arg ? (size_t)(arg - header) : strlen(header);
	char err[256] = "";

	snprintf(st->cur_name, sizeof(st->cur_name), "%s", header);
	st->cur = NULL;
	st->cur_obj = NULL;
	if (arg != NULL)
		while (*arg == ' ' || *arg == '\t')
			arg++;
	for (s = st->sections; s->name != NULL; s++) {
		int with_arg = arg != NULL && *arg != '\0';

		if (strlen(s->name) != namelen ||
		    strncmp(s->name, header, namelen) != 0)
			continue;
		/* a name may have two entries: [tls] and [tls NAME] */
		if (s->has_arg != with_arg) {
			if (conf_open_other(s, header, namelen, with_arg))
				continue;
			conf_fail_section(st, s->has_arg ?
			    "section [%s] needs an argument" :
			    "section [%s] takes no argument", s->name);
			return -1;
		}
		st->cur_obj = s->open(st->ctx, arg, err, sizeof(err));
		if (st->cur_obj == NULL) {
			conf_fail_section(st, "[%s]: %s", header, err);
			return -1;
		}
		st->cur = s;
		return 0;
	}
	conf_fail_section(st, "unknown section [%s]", header);
	return -1;
}

/* The reader's on_section: opens each section at its header line, so
 * that an empty one is checked too and a repeated header opens again. */
static int
conf_reader_section(void *user, const char *name, size_t len)
{
	struct conf_state *st = user;
	char header[sizeof(st->cur_name)];

	if (len >= sizeof(header)) {
		conf_fail(st, "section name too long (max %zu bytes)",
		    sizeof(header) - 1);
		return -1;
	}
	memcpy(header, name, len);
	header[len] = '\0';
	return conf_open(st, header);
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_state *st = user;
	const struct conf_key *k;
	size_t n;

	if (st->failed)
		return 1; /* report only the first error */
	if (name == NULL) /* INI_CALL_HANDLER_ON_NEW_SECTION: opened */
		return 1;
	if (*section == '\0')
		return conf_fail(st, "key \"%s\" outside a section", name);
	if (st->cur == NULL || strcmp(st->cur_name, section) != 0) {
		/* inih cuts section names (MAX_SECTION, 50 with the NUL) */
		n = strlen(section);
		if (st->cur != NULL && n < strlen(st->cur_name) &&
		    strncmp(st->cur_name, section, n) == 0)
			return conf_fail_section(st,
			    "section name [%s] too long (max %zu bytes)",
			    st->cur_name, n);
		/* an indented header, which the reader leaves to inih */
		if (conf_open(st, section) == -1)
			return 0;
	}
	for (k = st->cur->keys; k->name != NULL; k++) {
		if (strcmp(k->name, name) != 0)
			continue;
		if (k->type != CONF_LIST) {
			int seen = conf_mark_seen(st, k);

			if (seen == -1)
				return conf_fail(st, "out of memory");
			if (seen == 1)
				return conf_fail(st,
				    "key \"%s\" repeated in [%s]", name,
				    section);
		}
		return conf_set(st, k, value);
	}
	return conf_fail(st, "unknown key \"%s\" in [%s]", name, section);
}

/* conf_key_line: inih does not pass line numbers to handlers (it is built
 * without INI_HANDLER_LINENO); the reader counts them. */
struct conf_line_state {
	struct conf_reader *rd;
	const char *section, *key;
	size_t nth;
	int found;
};

static int
conf_line_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_line_state *st = user;

	if (st->found || name == NULL || strcmp(section, st->section) != 0 ||
	    strcmp(name, st->key) != 0)
		return 1;
	if (st->nth-- == 0) {
		st->found = st->rd->line;
		st->rd->stop = 1;
	}
	return 1;
}

int
conf_key_line(const char *path, const char *section, const char *key,
    size_t nth)
{
	struct conf_reader rd;
	struct conf_line_state st;

	memset(&rd, 0, sizeof(rd));
	memset(&st, 0, sizeof(st));
	rd.f = fopen(path, "r");
	if (rd.f == NULL)
		return 0;
	st.rd = &rd;
	st.section = section;
	st.key = key;
	st.nth = nth;
	ini_parse_stream(conf_read_line, &rd, conf_line_handler, &st);
	fclose(rd.f);
	free(rd.buf);
	return st.found;
}

/* Puts the first error of a finished parse in err: inih's syntax error
 * (line, from ini_parse_stream), the handler's, or the reader's,
 * whichever comes first in the file. Returns 0 when there is none. */
static int
conf_error(const char *path, int line, const struct conf_state *st,
    const struct conf_reader *rd, char *err, size_t errlen)
{
	/* inih's first error line is the handler's own when it failed
	 * there; an earlier one is a line inih itself could not parse. */
	if (line > 0 && (!st->failed || line < st->fail_at))
		snprintf(err, errlen, "%s:%d: syntax error", path, line);
	else if (st->failed)
		snprintf(err, errlen, "%s:%d: %s", path, st->msg_line,
		    st->msg);
	else if (rd->err == CONF_READ_LONG)
		snprintf(err, errlen, "%s:%d: line too long (max %zu bytes)",
		    path, rd->line, rd->max);
	else if (rd->err == CONF_READ_NUL)
		snprintf(err, errlen, "%s:%d: NUL byte in line", path,
		    rd->line);
	else if (rd->err != 0)
		snprintf(err, errlen, "%s: %s", path, strerror(rd->err));
	else if (line != 0)
		snprintf(err, errlen, "%s: cannot read", path);
	else
		return 0;
	return -1;
}

int
conf_load(const char *path, const struct conf_section *sections, void *ctx,
    char *err, size_t errlen)
{
	struct conf_reader rd;
	struct conf_state st;
	int line;

	memset(&rd, 0, sizeof(rd));
	memset(&st, 0, sizeof(st));
	st.rd = &rd;
	st.sections = sections;
	st.ctx = ctx;
	rd.on_section = conf_reader_section;
	rd.user = &st;
	rd.f = fopen(path, "r");
	if (rd.f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = ini_parse_stream(conf_read_line, &rd, conf_handler, &st);
	fclose(rd.f);
	free(rd.buf);
	free(st.seen);
	return conf_error(path, line, &st, &rd, err, errlen);
}
