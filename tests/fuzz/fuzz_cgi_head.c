/* fuzz_cgi_head.c - the head of a CGI response on arbitrary bytes, as
 * lib/cgihead reads it (the blank line is found the same way in one search
 * as in two; every field is clean), as appd takes it (a parsed head
 * re-parses to the same result) and as webd takes it (every field it
 * reports is clean). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../appd/appd.h"
#include "../../webd/webd.h"
#include "cgihead.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The end of the head, checked against searches resumed at some bytes. */
static size_t
fuzz_end(const char *in, size_t size)
{
	size_t end = cgihead_end(in, size, 0), from, first;

	if (end > size)
		abort();
	for (from = 0; from <= size; from += size / 16 + 1) {
		first = cgihead_end(in, from, 0);
		if (first != 0 ? first != end :
		    cgihead_end(in, size, from) != end)
			abort();
	}
	return end;
}

static int
fuzz_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Every line of the head: a clean field or a malformed line. */
static void
fuzz_lib(const char *in, size_t len)
{
	struct cgihead_field f;
	const char *err;
	size_t off = 0, prev, i;
	int r;

	for (;;) {
		prev = off;
		err = NULL;
		r = cgihead_next(in, len, &off, &f, &err);
		if (r == 0)
			break;
		if (off <= prev || off > len || (r == -1 && err == NULL))
			abort();
		if (r == -1)
			continue;
		if (f.name != in + prev || f.name_len == 0 ||
		    f.value < f.name + f.name_len + 1 ||
		    f.value + f.value_len > in + off)
			abort();
		for (i = 0; i < f.name_len; i++)
			if (f.name[i] <= ' ' || f.name[i] == ':' ||
			    f.name[i] == 127)
				abort();
		if (memchr(f.value, '\0', f.value_len) != NULL ||
		    memchr(f.value, '\r', f.value_len) != NULL ||
		    memchr(f.value, '\n', f.value_len) != NULL ||
		    (f.value_len > 0 && (fuzz_blank(f.value[0]) ||
		    fuzz_blank(f.value[f.value_len - 1]))))
			abort();
	}
}

/* appd: a parsed head, normalised, parses to the same headers. */
static void
fuzz_appd(const char *in, size_t end)
{
	struct appd_cgi_head h, h2;
	const char *err;
	char *again;

	if (appd_cgi_head_parse(in, end, &h, &err) == -1)
		return;
	if (h.status < 100 || h.status > 599 || (!h.has_type &&
	    !h.has_location))
		abort();
	/* the normalised headers plus a blank line parse the same */
	again = malloc(h.headers_len + 2);
	if (again == NULL)
		abort();
	memcpy(again, h.headers, h.headers_len);
	memcpy(again + h.headers_len, "\r\n", 2);
	if (cgihead_end(again, h.headers_len + 2, 0) != h.headers_len + 2 ||
	    appd_cgi_head_parse(again, h.headers_len + 2, &h2, &err) == -1 ||
	    h2.headers_len != h.headers_len ||
	    memcmp(h2.headers, h.headers, h.headers_len) != 0)
		abort();
	free(h2.headers);
	free(again);
	free(h.headers);
}

/* webd: every field it reports is clean. */
static void
fuzz_webd_field(void *arg, const char *name, const char *value)
{
	if (name[0] == '\0' || strpbrk(name, " \t\r\n:") != NULL ||
	    strpbrk(value, "\r\n") != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t end = fuzz_end(in, size);

	fuzz_lib(in, end ? end : size);
	if (end > 0)
		fuzz_appd(in, end);
	cgi_header_each(in, end ? end : size, fuzz_webd_field, NULL);
	return 0;
}
