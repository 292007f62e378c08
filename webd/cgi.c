/* cgi.c - the head of a FastCGI backend's response as webd takes it: the
 * fields lib/cgihead reads, as C strings; malformed and overlong lines
 * are skipped. Pure. */
#include "webd.h"

#include <string.h>

#include "cgihead.h"

void
cgi_header_each(const char *hdr, size_t hlen,
    void (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	struct cgihead_field f;
	const char *err;
	size_t off = 0;
	int r;

	while ((r = cgihead_next(hdr, hlen, &off, &f, &err)) != 0) {
		char name[128], value[8192];

		if (r == -1 || f.name_len >= sizeof(name) ||
		    f.value_len >= sizeof(value))
			continue;
		memcpy(name, f.name, f.name_len);
		name[f.name_len] = '\0';
		memcpy(value, f.value, f.value_len);
		value[f.value_len] = '\0';
		fn(arg, name, value);
	}
}
