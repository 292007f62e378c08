/* range.c - the Range request header (RFC 9110 §14.2). Pure. */
#include "webd.h"

#include <stdint.h>
#include <strings.h>

/* Reads a decimal number at *p, advancing it. -1 if none or too large. */
static int
range_number(const char **p, const char *end, long long *out)
{
	long long v = 0;
	const char *s = *p;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

static const char *
range_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

int
range_parse(const char *hdr, size_t len, long long size, long long *first,
    long long *last)
{
	const char *p = hdr, *end = hdr + len;
	long long a, b;
	int suffix = 0;

	if (len < 6 || strncasecmp(p, "bytes=", 6) != 0)
		return RANGE_IGNORE;
	p = range_skip_ws(p + 6, end);
	if (p < end && *p == '-') {
		p++;
		suffix = 1;
		if (range_number(&p, end, &b) == -1)
			return RANGE_IGNORE;
	} else {
		if (range_number(&p, end, &a) == -1 || p == end || *p != '-')
			return RANGE_IGNORE;
		p++;
		b = -1;
		if (p < end && *p >= '0' && *p <= '9') {
			if (range_number(&p, end, &b) == -1 || b < a)
				return RANGE_IGNORE;
		}
	}
	p = range_skip_ws(p, end);
	if (p != end)	/* several ranges, or junk: send the whole file */
		return RANGE_IGNORE;
	if (suffix) {
		if (b == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return RANGE_OK;
	}
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	*first = a;
	*last = b == -1 || b >= size ? size - 1 : b;
	return RANGE_OK;
}
