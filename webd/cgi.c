/* cgi.c - the CGI response header a FastCGI backend sends (RFC 3875
 * §6.3): "Name: value" lines up to a blank line. Pure. */
#include "webd.h"

#include <string.h>

/* RFC 9110 token characters, the only ones a field name may use. */
static int
cgi_token(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ||
		    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL)))
			return 0;
	}
	return n > 0;
}

void
cgi_header_each(const char *hdr, size_t hlen,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	const char *p = hdr, *end = hdr + hlen;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *colon, *v, *ve;
		char name[128], value[8192];
		size_t nlen;

		if (eol == NULL)
			eol = end;
		ve = eol;
		if (ve > p && ve[-1] == '\r')
			ve--;
		colon = memchr(p, ':', (size_t)(ve - p));
		nlen = colon ? (size_t)(colon - p) : 0;
		if (colon != NULL && nlen < sizeof(name) && cgi_token(p, nlen)) {
			for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t');
			    v++)
				;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if ((size_t)(ve - v) < sizeof(value) &&
			    memchr(v, '\0', (size_t)(ve - v)) == NULL &&
			    memchr(v, '\r', (size_t)(ve - v)) == NULL) {
				memcpy(name, p, nlen);
				name[nlen] = '\0';
				memcpy(value, v, (size_t)(ve - v));
				value[ve - v] = '\0';
				fn(arg, name, value);
			}
		}
		p = eol + 1;
	}
}

size_t
cgi_header_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}
