/* strict.c - reads a request header block as strictly as RFC 9112 asks of
 * a server, and as nginx and HAProxy do: every message whose framing two
 * parsers could read differently is refused. Pure: bytes in, verdict out.
 *
 * The block is the request line through the empty line that ends the
 * header, exactly as the client sent it. Lines end in CRLF or a bare LF
 * (RFC 9112 §2.2 lets a server accept LF; nginx and HAProxy do). */
#include "webd.h"

#include <string.h>
#include <strings.h>

/* What the field lines said about the framing. */
struct strict_seen {
	int host, cl, te;
	const char *te_val;
	size_t te_len;
};

static int
strict_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The end of the line starting at p: the offset of its CR or LF. Sets
 * *next past the line ending; -1 for a bare CR, NUL or missing LF. */
static long
strict_eol(const char *b, size_t len, size_t p, size_t *next,
    const char **why)
{
	size_t i;

	for (i = p; i < len; i++) {
		if (b[i] == '\n') {
			*next = i + 1;
			return (long)i;
		}
		if (b[i] == '\r') {
			if (i + 1 < len && b[i + 1] == '\n') {
				*next = i + 2;
				return (long)i;
			}
			*why = "bare CR";
			return -1;
		}
	}
	*why = memchr(b + p, '\0', len - p) != NULL ? "NUL in field" :
	    "header block without its end";
	return -1;
}

/* method SP request-target SP HTTP-version, nothing more. */
static int
strict_request_line(const char *l, size_t n, int *v10, const char **why)
{
	size_t i = 0, t;

	*why = "bad request line";
	while (i < n && strict_tchar((unsigned char)l[i]))
		i++;
	if (i == 0 || i >= n || l[i] != ' ')
		return -1;
	t = ++i;
	while (i < n && (unsigned char)l[i] > ' ' && (unsigned char)l[i] < 0x7f)
		i++;
	if (i == t || i >= n || l[i] != ' ')
		return -1;
	i++;
	if (n - i != 8 || memcmp(l + i, "HTTP/", 5) != 0 ||
	    l[i + 5] < '0' || l[i + 5] > '9' || l[i + 6] != '.' ||
	    l[i + 7] < '0' || l[i + 7] > '9')
		return -1;
	*v10 = l[i + 5] == '1' && l[i + 7] == '0';
	return 0;
}

/* s (n bytes) without the optional white space around it. */
static const char *
strict_trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* 1*DIGIT that fits a long long. */
static int
strict_length(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return -1;
	return 0;
}

/* A Host value nginx would take too: not empty, no white space, control
 * byte, non-ASCII byte, slash or empty label. */
static int
strict_host(const char *v, size_t n)
{
	size_t i;

	if (n == 0 || v[0] == ':' || (n == 1 && v[0] == '.'))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= ' ' || c >= 0x7f || c == '/' || c == '\\' ||
		    (c == '.' && i > 0 && v[i - 1] == '.'))
			return -1;
	}
	return 0;
}

/* A value: visible bytes, SP, HTAB and obs-text only. */
static int
strict_value(const char *v, size_t n, const char **why)
{
	size_t j;

	for (j = 0; j < n; j++) {
		unsigned char c = (unsigned char)v[j];

		if (c == '\0' || c == '\r' || (c < ' ' && c != '\t') ||
		    c == 0x7f) {
			*why = c == '\0' ? "NUL in field" : c == '\r' ?
			    "bare CR" : "control byte in field";
			return -1;
		}
	}
	return 0;
}

int
strict_trailer(const char *name, size_t nlen, const char *value, size_t vlen,
    const char **why)
{
	size_t i;

	for (i = 0; i < nlen; i++)
		if (!strict_tchar((unsigned char)name[i]))
			break;
	if (i == 0 || i < nlen) {
		*why = i < nlen && (name[i] == ' ' || name[i] == '\t') ?
		    "white space before colon in trailer" :
		    "bad trailer field name";
		return -1;
	}
	return strict_value(value, vlen, why);
}

/* One field line: name ":" OWS value OWS, with only visible bytes, SP,
 * HTAB and obs-text in the value. */
static int
strict_field(const char *l, size_t n, struct strict_seen *seen,
    const char **why)
{
	size_t i = 0, vn;
	const char *v;

	if (l[0] == ' ' || l[0] == '\t') {
		*why = "obs-fold";
		return -1;
	}
	while (i < n && strict_tchar((unsigned char)l[i]))
		i++;
	if (i < n && i > 0 && (l[i] == ' ' || l[i] == '\t')) {
		*why = "white space before colon";
		return -1;
	}
	if (i == 0 || i >= n || l[i] != ':') {
		*why = i < n && l[i] == '\0' ? "NUL in field" :
		    "bad field name";
		return -1;
	}
	v = l + i + 1;
	vn = n - i - 1;
	if (strict_value(v, vn, why) == -1)
		return -1;
	v = strict_trim(v, &vn);
	if (i == 4 && strncasecmp(l, "host", 4) == 0) {
		if (seen->host++ == 0 && strict_host(v, vn) == -1) {
			*why = "bad Host";
			return -1;
		}
	} else if (i == 14 && strncasecmp(l, "content-length", 14) == 0) {
		if (seen->cl++ > 0) {
			*why = "several Content-Length";
			return -1;
		}
		if (strict_length(v, vn) == -1) {
			*why = "bad Content-Length";
			return -1;
		}
	} else if (i == 17 && strncasecmp(l, "transfer-encoding", 17) == 0) {
		if (seen->te++ > 0) {
			*why = "several Transfer-Encoding";
			return -1;
		}
		seen->te_val = v;
		seen->te_len = vn;
	}
	return 0;
}

/* Transfer-Encoding: chunked alone is read. A list that does not end in
 * chunked, or applies it twice, is malformed (400) when it names chunked
 * at all; other codings are unknown here (501, as nginx answers). */
static int
strict_coding(const struct strict_seen *seen, const char **why)
{
	const char *v = seen->te_val, *e = v + seen->te_len, *c, *comma;
	int chunked = 0, other = 0, last = 0;
	size_t n;

	for (c = v; c <= e; c = comma + 1) {
		comma = memchr(c, ',', (size_t)(e - c));
		if (comma == NULL)
			comma = e;
		n = (size_t)(comma - c);
		c = strict_trim(c, &n);
		last = n == 7 && strncasecmp(c, "chunked", 7) == 0;
		chunked += last;
		other += !last;
	}
	if (chunked == 1 && other == 0)
		return 0;
	if (chunked > 0 && (!last || chunked > 1)) {
		*why = "chunked not once and last";
		return 400;
	}
	if (seen->te_len == 0) {
		*why = "empty Transfer-Encoding";
		return 400;
	}
	*why = "transfer coding other than chunked";
	return 501;
}

/* What the fields say together. */
static int
strict_framing(const struct strict_seen *seen, int v10, const char **why)
{
	if (seen->host > 1 || (!v10 && seen->host == 0)) {
		*why = seen->host ? "several Host" : "no Host";
		return 400;
	}
	if (seen->te == 0)
		return 0;
	if (seen->cl > 0) {
		*why = "Content-Length with Transfer-Encoding";
		return 400;
	}
	if (v10) {
		*why = "Transfer-Encoding in HTTP/1.0";
		return 400;
	}
	return strict_coding(seen, why);
}

int
strict_check(const char *b, size_t len, const char **why)
{
	struct strict_seen seen = { 0 };
	size_t p = 0, next;
	long e;
	int v10 = 0;

	if ((e = strict_eol(b, len, p, &next, why)) == -1)
		return 400;
	if (memchr(b, '\0', (size_t)e) != NULL) {
		*why = "NUL in request line";
		return 400;
	}
	if (strict_request_line(b, (size_t)e, &v10, why) == -1)
		return 400;
	for (;;) {
		p = next;
		if ((e = strict_eol(b, len, p, &next, why)) == -1)
			return 400;
		if ((size_t)e == p)
			break;
		if (strict_field(b + p, (size_t)e - p, &seen, why) == -1)
			return 400;
	}
	if (next != len) {
		*why = "bytes after the header block";
		return 400;
	}
	return strict_framing(&seen, v10, why);
}
