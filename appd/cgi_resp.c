/* cgi_resp.c - what appd takes from the head of a CGI response (RFC 3875
 * §6), read with lib/cgihead: pure. */
#include "appd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgihead.h"

/* A Status value: three digits, the first 1 to 5, then the end or a space
 * and a reason phrase. Returns the code, -1 for anything else. */
static int
cgi_status(const char *v, size_t len)
{
	if (len < 3 || memchr("12345", v[0], 5) == NULL ||
	    v[1] < '0' || v[1] > '9' || v[2] < '0' || v[2] > '9' ||
	    (len > 3 && v[3] != ' '))
		return -1;
	return (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
}

/* One field into h: Status into h->status, the others copied to
 * h->headers as "Name: value\r\n". */
static int
cgi_head_field(const struct cgihead_field *f, struct appd_cgi_head *h,
    const char **err)
{
	char *out = h->headers + h->headers_len;

	if (f->name_len == 6 && strncasecmp(f->name, "Status", 6) == 0) {
		h->status = cgi_status(f->value, f->value_len);
		if (h->status == -1) {
			*err = "bad Status header in CGI output";
			return -1;
		}
		return 0;
	}
	if (f->name_len == 12 && strncasecmp(f->name, "Content-Type", 12) == 0)
		h->has_type = 1;
	if (f->name_len == 8 && strncasecmp(f->name, "Location", 8) == 0)
		h->has_location = 1;
	memcpy(out, f->name, f->name_len);
	out += f->name_len;
	memcpy(out, ": ", 2);
	memcpy(out + 2, f->value, f->value_len);
	out += 2 + f->value_len;
	memcpy(out, "\r\n", 2);
	h->headers_len += f->name_len + f->value_len + 4;
	return 0;
}

int
appd_cgi_head_parse(const char *buf, size_t len, struct appd_cgi_head *h,
    const char **err)
{
	struct cgihead_field f;
	size_t off = 0;
	int r;

	memset(h, 0, sizeof(*h));
	/* each line grows by at most ": " + "\r\n" - 1 */
	h->headers = malloc(len * 2 + 16);
	if (h->headers == NULL) {
		*err = "out of memory";
		return -1;
	}
	while ((r = cgihead_next(buf, len, &off, &f, err)) == 1)
		if (cgi_head_field(&f, h, err) == -1)
			goto fail;
	if (r == -1)
		goto fail;
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
