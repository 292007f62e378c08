/* scan.c - reads mariadb-dump's output as it streams by: the tables (from
 * "CREATE TABLE `t`" lines) and, per table, the rows of its
 * "INSERT INTO `t` VALUES (...),(...);" statements, counted and hashed
 * byte for byte as the dump wrote them. Pure: no I/O. */
#include "backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	S_LINE,		/* at the start of a line */
	S_SKIP,		/* rest of a line that is not ours */
	S_NAME,		/* inside `name` */
	S_NAME_TICK,	/* a ` inside the name: end, or `` */
	S_KEYWORD,	/* " VALUES" after the INSERT's name */
	S_BETWEEN,	/* before a row */
	S_AFTER,	/* after a row: , or ; */
	S_ROW,		/* inside (...) */
	S_STR,		/* inside '...' */
	S_STR_ESC,	/* after a backslash in a string */
	S_STR_QUOTE	/* a ' in a string: end, or '' */
};

static const char kw_insert[] = "INSERT INTO `";
static const char kw_create[] = "CREATE TABLE `";
static const char kw_values[] = " VALUES";

void
scan_init(struct scan *s)
{
	memset(s, 0, sizeof(*s));
	s->state = S_LINE;
}

void
scan_free(struct scan *s)
{
	free(s->t);
	s->t = NULL;
	s->n = 0;
	s->cur = NULL;
}

static int
scan_fail(struct scan *s, const char *msg)
{
	snprintf(s->err, sizeof(s->err), "%s", msg);
	return -1;
}

/* The table named s->name, added when new. */
static struct scan_table *
scan_table(struct scan *s)
{
	struct scan_table *t;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->t[i].name, s->name) == 0)
			return &s->t[i];
	if (s->n == SCAN_TABLES_MAX)
		return NULL;
	if ((t = realloc(s->t, (s->n + 1) * sizeof(*t))) == NULL)
		return NULL;
	s->t = t;
	t = &t[s->n++];
	memset(t, 0, sizeof(*t));
	memcpy(t->name, s->name, s->nname + 1);
	sha256_init(&t->sha);
	return t;
}

/* A line starts with c: keeps matching the two keywords. */
static int
scan_line(struct scan *s, char c)
{
	if (c == '\n') {
		s->nword = 0;
		return 0;
	}
	s->word[s->nword++] = c;
	if (strncmp(s->word, kw_insert, s->nword) == 0) {
		if (s->nword == sizeof(kw_insert) - 1)
			s->create = 0;
		else
			return 0;
	} else if (strncmp(s->word, kw_create, s->nword) == 0) {
		if (s->nword == sizeof(kw_create) - 1)
			s->create = 1;
		else
			return 0;
	} else {
		s->state = S_SKIP;
		return 0;
	}
	s->nname = 0;
	s->state = S_NAME;
	return 0;
}

/* The closing ` of a name was seen and c follows it. */
static int
scan_name_end(struct scan *s, char c)
{
	s->name[s->nname] = '\0';
	if ((s->cur = scan_table(s)) == NULL)
		return scan_fail(s, "too many tables, or out of memory");
	if (s->create) {
		s->state = c == '\n' ? S_LINE : S_SKIP;
		s->nword = 0;
		return 0;
	}
	s->kw = 0;
	s->state = S_KEYWORD;
	if (c != kw_values[s->kw++])
		return scan_fail(s, "INSERT without VALUES");
	return 0;
}

static int
scan_name(struct scan *s, char c)
{
	if (s->state == S_NAME_TICK) {
		if (c != '`')
			return scan_name_end(s, c);
		s->state = S_NAME;
	} else if (c == '`') {
		s->state = S_NAME_TICK;
		return 0;
	} else if (c == '\n' || c == '\0') {
		return scan_fail(s, "bad table name");
	}
	if (s->nname == SCAN_NAME_MAX)
		return scan_fail(s, "table name too long");
	s->name[s->nname++] = c;
	return 0;
}

static int
scan_between(struct scan *s, char c)
{
	if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
		return 0;
	if (s->state == S_AFTER && c == ',') {
		s->state = S_BETWEEN;
		return 0;
	}
	if (s->state == S_AFTER && c == ';') {
		s->state = S_SKIP;
		return 0;
	}
	if (s->state == S_AFTER || c != '(')
		return scan_fail(s, "malformed INSERT: a row was expected");
	s->depth = 1;
	s->state = S_ROW;
	return 1;
}

static int
scan_row(struct scan *s, char c)
{
	if (c == '\'') {
		s->state = S_STR;
	} else if (c == '(') {
		s->depth++;
	} else if (c == ')' && --s->depth == 0) {
		s->cur->rows++;
		s->row_done = 1;
		s->state = S_AFTER;
	}
	return 1;
}

/* Returns 1 when c belongs to a row (and is hashed), 0 when not, -1 on
 * error. */
static int
scan_byte(struct scan *s, char c)
{
	switch (s->state) {
	case S_LINE:
		return scan_line(s, c);
	case S_SKIP:
		if (c == '\n') {
			s->state = S_LINE;
			s->nword = 0;
		}
		return 0;
	case S_NAME:
	case S_NAME_TICK:
		return scan_name(s, c);
	case S_KEYWORD:
		if (c != kw_values[s->kw++])
			return scan_fail(s, "INSERT without VALUES");
		if (s->kw == sizeof(kw_values) - 1)
			s->state = S_BETWEEN;
		return 0;
	case S_BETWEEN:
	case S_AFTER:
		return scan_between(s, c);
	case S_ROW:
		return scan_row(s, c);
	case S_STR_QUOTE:
		if (c != '\'') {
			s->state = S_ROW;
			return scan_row(s, c);
		}
		s->state = S_STR;
		return 1;
	case S_STR:
		if (c == '\\')
			s->state = S_STR_ESC;
		else if (c == '\'')
			s->state = S_STR_QUOTE;
		return 1;
	default: /* S_STR_ESC */
		s->state = S_STR;
		return 1;
	}
}

/* Hashes the bytes of rows in spans, not one by one. */
int
scan_feed(struct scan *s, const char *buf, size_t len)
{
	const char *run = NULL;
	size_t i;
	int r;

	if (s->err[0] != '\0')
		return -1;
	for (i = 0; i < len; i++) {
		if ((r = scan_byte(s, buf[i])) == -1)
			return -1;
		if (r == 1 && run == NULL)
			run = buf + i;
		if (run != NULL && (r == 0 || s->row_done)) {
			sha256_update(&s->cur->sha, run,
			    (size_t)(buf + i + r - run));
			run = NULL;
		}
		if (s->row_done) {
			sha256_update(&s->cur->sha, "\n", 1);
			s->row_done = 0;
		}
	}
	if (run != NULL)
		sha256_update(&s->cur->sha, run, (size_t)(buf + len - run));
	return 0;
}

int
scan_finish(struct scan *s)
{
	unsigned char md[32];
	size_t i, j;

	if (s->err[0] != '\0')
		return -1;
	if (s->state != S_LINE && s->state != S_SKIP)
		return scan_fail(s, "the dump ends inside a statement");
	for (i = 0; i < s->n; i++) {
		sha256_final(&s->t[i].sha, md);
		for (j = 0; j < 32; j++)
			snprintf(s->t[i].hex + 2 * j, 3, "%02x", md[j]);
	}
	return 0;
}
