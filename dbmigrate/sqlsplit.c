/* sqlsplit.c - splits a MySQL script into statements, as the mysql client
 * does: quotes, comments, conditional comments and DELIMITER. No I/O. */
#include "dbmigrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SQLSPLIT_DELIM_MAX 16

struct split {
	const char *p;
	size_t len;
	size_t i;		/* the cursor */
	unsigned line;		/* line of p[i] */
	char delim[SQLSPLIT_DELIM_MAX];
	size_t dlen;
	struct sql_script *out;
	size_t cap;
	char *err;
	size_t errlen;
};

static int split_error(struct split *s, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
split_error(struct split *s, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(s->err, s->errlen, "line %u: ", line);
	if (n < 0 || (size_t)n >= s->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
split_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

static int
split_at(const struct split *s, const char *str)
{
	size_t n = strlen(str);

	return s->len - s->i >= n && memcmp(s->p + s->i, str, n) == 0;
}

static int
split_at_delim(const struct split *s)
{
	return s->len - s->i >= s->dlen &&
	    memcmp(s->p + s->i, s->delim, s->dlen) == 0;
}

/* "-- " starts a comment only when a blank or control byte (or the end)
 * follows the two dashes. */
static int
split_at_dashdash(const struct split *s)
{
	if (!split_at(s, "--"))
		return 0;
	return s->i + 2 == s->len || (unsigned char)s->p[s->i + 2] <= ' ';
}

static int
split_at_conditional(const struct split *s)
{
	return split_at(s, "/*!") || split_at(s, "/*M!");
}

static void
split_advance(struct split *s, size_t n)
{
	for (; n > 0 && s->i < s->len; n--, s->i++)
		if (s->p[s->i] == '\n')
			s->line++;
}

static void
split_skip_line(struct split *s)
{
	while (s->i < s->len && s->p[s->i] != '\n')
		s->i++;
}

/* Skips a C comment (also a conditional one) from its slash. */
static int
split_skip_ccomment(struct split *s)
{
	unsigned line = s->line;

	split_advance(s, 2);
	while (s->i < s->len) {
		if (split_at(s, "*/")) {
			split_advance(s, 2);
			return 0;
		}
		split_advance(s, 1);
	}
	return split_error(s, line, "unterminated /* comment");
}

/* Skips a quoted string or identifier from its opening quote. */
static int
split_skip_quoted(struct split *s)
{
	char q = s->p[s->i];
	unsigned line = s->line;

	split_advance(s, 1);
	while (s->i < s->len) {
		if (s->p[s->i] == '\\' && q != '`') {
			split_advance(s, 2);
			continue;
		}
		if (s->p[s->i] == q) {
			split_advance(s, 1);
			return 0;	/* a doubled quote reopens at once */
		}
		split_advance(s, 1);
	}
	return split_error(s, line, "unterminated %c%s", q,
	    q == '`' ? " identifier" : " string");
}

/* Skips blanks and plain comments before a statement. */
static int
split_skip_gap(struct split *s)
{
	while (s->i < s->len) {
		if (split_blank(s->p[s->i]))
			split_advance(s, 1);
		else if (s->p[s->i] == '#' || split_at_dashdash(s))
			split_skip_line(s);
		else if (split_at(s, "/*") && !split_at_conditional(s)) {
			if (split_skip_ccomment(s) == -1)
				return -1;
		} else
			break;
	}
	return 0;
}

/* At a statement's start: "DELIMITER x" (any case) sets the delimiter
 * to x for what follows. Returns 1 when it was such a line, 0 when not,
 * -1 on a bad delimiter. */
static int
split_delimiter_cmd(struct split *s)
{
	size_t j, start;

	if (s->len - s->i < 10 || strncasecmp(s->p + s->i, "delimiter", 9) ||
	    (s->p[s->i + 9] != ' ' && s->p[s->i + 9] != '\t'))
		return 0;
	j = s->i + 10;
	while (j < s->len && (s->p[j] == ' ' || s->p[j] == '\t'))
		j++;
	start = j;
	while (j < s->len && !split_blank(s->p[j]))
		j++;
	if (j == start)
		return split_error(s, s->line, "DELIMITER without a delimiter");
	if (j - start >= SQLSPLIT_DELIM_MAX)
		return split_error(s, s->line, "delimiter longer than %d bytes",
		    SQLSPLIT_DELIM_MAX - 1);
	if (memchr(s->p + start, '\\', j - start) != NULL)
		return split_error(s, s->line,
		    "delimiter must not contain a backslash");
	memcpy(s->delim, s->p + start, j - start);
	s->dlen = j - start;
	split_skip_line(s);
	return 1;
}

static int
split_push(struct split *s, size_t start, size_t end, unsigned line)
{
	struct sql_stmt *n;
	size_t cap;

	while (end > start && split_blank(s->p[end - 1]))
		end--;
	if (s->out->n == s->cap) {
		cap = s->cap ? 2 * s->cap : 16;
		if ((n = realloc(s->out->stmts, cap * sizeof(*n))) == NULL)
			return split_error(s, line, "out of memory");
		s->out->stmts = n;
		s->cap = cap;
	}
	s->out->stmts[s->out->n].text = s->p + start;
	s->out->stmts[s->out->n].len = end - start;
	s->out->stmts[s->out->n].line = line;
	s->out->n++;
	return 0;
}

/* Scans one statement from its first byte to its delimiter or the end. */
static int
split_statement(struct split *s)
{
	size_t start = s->i;
	unsigned line = s->line;
	char c;

	while (s->i < s->len && !split_at_delim(s)) {
		c = s->p[s->i];
		if (c == '\'' || c == '"' || c == '`') {
			if (split_skip_quoted(s) == -1)
				return -1;
		} else if (c == '#' || split_at_dashdash(s))
			split_skip_line(s);
		else if (split_at(s, "/*")) {
			if (split_skip_ccomment(s) == -1)
				return -1;
		} else
			split_advance(s, 1);
	}
	if (split_push(s, start, s->i, line) == -1)
		return -1;
	split_advance(s, s->dlen);
	return 0;
}

int
sqlsplit(const char *sql, size_t len, struct sql_script *out, char *err,
    size_t errlen)
{
	struct split s = { sql, len, 0, 1, ";", 1, out, 0, err, errlen };
	int r;

	out->stmts = NULL;
	out->n = 0;
	for (;;) {
		if (split_skip_gap(&s) == -1)
			goto fail;
		if (s.i >= s.len)
			return 0;
		if ((r = split_delimiter_cmd(&s)) == -1)
			goto fail;
		if (r == 1)
			continue;
		if (split_at_delim(&s)) {
			split_advance(&s, s.dlen);	/* empty statement */
			continue;
		}
		if (split_statement(&s) == -1)
			goto fail;
	}
fail:
	sqlsplit_free(out);
	return -1;
}

void
sqlsplit_free(struct sql_script *s)
{
	free(s->stmts);
	s->stmts = NULL;
	s->n = 0;
}
