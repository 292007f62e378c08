/* cgihead.c - the head of a CGI response (RFC 3875 §6): pure. */
#include "cgihead.h"

#include <string.h>

size_t
cgihead_end(const char *buf, size_t len, size_t from)
{
	size_t i;

	/* a blank line not complete in the first from bytes starts at
	 * from - 1 or later */
	for (i = from > 0 ? from - 1 : 0; i < len; i++) {
		if (i > 0 && buf[i - 1] != '\n')
			continue;	/* not the start of a line */
		if (buf[i] == '\n')
			return i + 1;
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
	}
	return 0;
}

/* RFC 9110 token characters, the only ones a field name may use. */
static int
cgihead_tchar(unsigned char c)
{
	return c > 32 && c < 127 && strchr("\"(),/:;<=>?@[\\]{}", c) == NULL;
}

int
cgihead_next(const char *head, size_t len, size_t *off,
    struct cgihead_field *f, const char **err)
{
	const char *p = head + *off, *eol, *v, *ve;
	size_t n, i;

	if (*off >= len)
		return 0;
	n = len - *off;
	eol = memchr(p, '\n', n);
	if (eol != NULL)
		n = (size_t)(eol - p);
	*off += eol != NULL ? n + 1 : n;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return 0;	/* the blank line */
	if (memchr(p, '\0', n) != NULL || memchr(p, '\r', n) != NULL) {
		*err = "NUL or CR in a CGI header line";
		return -1;
	}
	for (i = 0; i < n && cgihead_tchar((unsigned char)p[i]); i++)
		;
	if (i == 0 || i == n || p[i] != ':') {
		*err = "malformed CGI header line";
		return -1;
	}
	for (v = p + i + 1, ve = p + n; v < ve && (*v == ' ' || *v == '\t');
	    v++)
		;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	f->name = p;
	f->name_len = i;
	f->value = v;
	f->value_len = (size_t)(ve - v);
	return 1;
}
