/* conf.c - INI configuration files read with libinih. */
#include "conf.h"

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

struct conf_state {
	const struct conf_section *sections;
	void *ctx;
	char cur_name[256];	/* the raw section header last opened */
	const struct conf_section *cur;
	void *cur_obj;
	struct conf_seen *seen;
	size_t nseen, seen_cap;
	char msg[512];		/* the first error */
	int failed;
};

static int __attribute__((format(printf, 2, 3)))
conf_fail(struct conf_state *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->failed) {
		va_start(ap, fmt);
		vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
		va_end(ap);
		st->failed = 1;
	}
	return 0; /* inih: this line is in error */
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
		if (strlen(s->name) != namelen ||
		    strncmp(s->name, header, namelen) != 0)
			continue;
		if (s->has_arg && (arg == NULL || *arg == '\0')) {
			conf_fail(st, "section [%s] needs an argument",
			    s->name);
			return -1;
		}
		if (!s->has_arg && arg != NULL) {
			conf_fail(st, "section [%s] takes no argument",
			    s->name);
			return -1;
		}
		st->cur_obj = s->open(st->ctx, arg, err, sizeof(err));
		if (st->cur_obj == NULL) {
			conf_fail(st, "[%s]: %s", header, err);
			return -1;
		}
		st->cur = s;
		return 0;
	}
	conf_fail(st, "unknown section [%s]", header);
	return -1;
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_state *st = user;
	const struct conf_key *k;

	if (st->failed)
		return 1; /* report only the first error */
	if (name == NULL) /* inih calls with a NULL name at each [section] */
		return conf_open(st, section) == 0 ? 1 : 0;
	if (*section == '\0')
		return conf_fail(st, "key \"%s\" outside a section", name);
	if (st->cur == NULL || strcmp(st->cur_name, section) != 0)
		if (conf_open(st, section) == -1)
			return 0;
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
 * without INI_HANDLER_LINENO), so the reader counts the newlines. */
struct conf_line_state {
	FILE *f;
	int line;	/* the physical line being handed to inih */
	int next;	/* the line after the last newline read */
	const char *section, *key;
	size_t nth;
	int found;
};

static char *
conf_line_reader(char *str, int num, void *stream)
{
	struct conf_line_state *st = stream;
	char *r = fgets(str, num, st->f);

	st->line = st->next;
	if (r != NULL && strchr(r, '\n') != NULL)
		st->next++;
	return r;
}

static int
conf_line_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_line_state *st = user;

	if (st->found || name == NULL || strcmp(section, st->section) != 0 ||
	    strcmp(name, st->key) != 0)
		return 1;
	if (st->nth-- == 0)
		st->found = st->line;
	return 1;
}

int
conf_key_line(const char *path, const char *section, const char *key,
    size_t nth)
{
	struct conf_line_state st;

	memset(&st, 0, sizeof(st));
	st.f = fopen(path, "r");
	if (st.f == NULL)
		return 0;
	st.next = 1;
	st.section = section;
	st.key = key;
	st.nth = nth;
	ini_parse_stream(conf_line_reader, &st, conf_line_handler, &st);
	fclose(st.f);
	return st.found;
}

int
conf_load(const char *path, const struct conf_section *sections, void *ctx,
    char *err, size_t errlen)
{
	struct conf_state st;
	FILE *f;
	int line;

	memset(&st, 0, sizeof(st));
	st.sections = sections;
	st.ctx = ctx;
	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = ini_parse_file(f, conf_handler, &st);
	fclose(f);
	free(st.seen);
	if (line == 0 && !st.failed)
		return 0;
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", path, line,
		    st.failed ? st.msg : "syntax error");
	else
		snprintf(err, errlen, "%s: %s", path,
		    st.failed ? st.msg : "cannot read");
	return -1;
}
