/* cgi_resp.c - the header block of a CGI response (RFC 3875 §6): pure. */
#include "appd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t
appd_cgi_head_end(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
		if (i == 0)
			return 1;
		if (i == 1 && buf[0] == '\r')
			return 2;
	}
	return 0;
}

static int
cgi_token_char(unsigned char c)
{
	return c > 32 && c < 127 && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

/* One "Name: value" line (without its line end) into h. */
static int
cgi_head_line(const char *line, size_t len, struct appd_cgi_head *h,
    const char **err)
{
	size_t nlen = 0, v;

	while (nlen < len && cgi_token_char((unsigned char)line[nlen]))
		nlen++;
	if (nlen == 0 || nlen == len || line[nlen] != ':') {
		*err = "malformed header line in CGI output";
		return -1;
	}
	for (v = nlen + 1; v < len && (line[v] == ' ' || line[v] == '\t');
	    v++)
		;
	if (nlen == 6 && strncasecmp(line, "Status", 6) == 0) {
		if (len - v < 3 || memchr("12345", line[v], 5) == NULL ||
		    line[v + 1] < '0' || line[v + 1] > '9' ||
		    line[v + 2] < '0' || line[v + 2] > '9' ||
		    (len - v > 3 && line[v + 3] != ' ')) {
			*err = "bad Status header in CGI output";
			return -1;
		}
		h->status = (line[v] - '0') * 100 + (line[v + 1] - '0') * 10 +
		    (line[v + 2] - '0');
		return 0;
	}
	if (nlen == 12 && strncasecmp(line, "Content-Type", 12) == 0)
		h->has_type = 1;
	if (nlen == 8 && strncasecmp(line, "Location", 8) == 0)
		h->has_location = 1;
	memcpy(h->headers + h->headers_len, line, nlen);
	h->headers_len += nlen;
	memcpy(h->headers + h->headers_len, ": ", 2);
	h->headers_len += 2;
	memcpy(h->headers + h->headers_len, line + v, len - v);
	h->headers_len += len - v;
	memcpy(h->headers + h->headers_len, "\r\n", 2);
	h->headers_len += 2;
	return 0;
}

int
appd_cgi_head_parse(const char *buf, size_t len, struct appd_cgi_head *h,
    const char **err)
{
	size_t off = 0, end, l;

	memset(h, 0, sizeof(*h));
	/* each line grows by at most ": " + "\r\n" - 1 */
	h->headers = malloc(len * 2 + 16);
	if (h->headers == NULL) {
		*err = "out of memory";
		return -1;
	}
	while (off < len) {
		end = off;
		while (end < len && buf[end] != '\n')
			end++;
		l = end - off;
		if (l > 0 && buf[end - 1] == '\r')
			l--;
		if (l == 0)
			break;	/* the blank line */
		if (memchr(buf + off, '\0', l) != NULL ||
		    cgi_head_line(buf + off, l, h, err) == -1)
			goto fail;
		off = end + 1;
	}
	if (!h->has_type && !h->has_location) {
		*err = "CGI output has neither Content-Type nor Location";
		goto fail;
	}
	if (h->status == 0)
		h->status = h->has_location ? 302 : 200;
	return 0;
fail:
	free(h->headers);
	h->headers = NULL;
	return -1;
}
