/* fuzz_strict.c - the strict header-block reader on arbitrary bytes. What
 * it accepts must be framed one way only: a request line of exactly three
 * parts, no NUL, no bare CR, at most one Content-Length, never with
 * Transfer-Encoding; what it refuses comes with a reason and 400 or 501.
 * The same bytes split at their first colon go through the trailer-field
 * check, which must never accept a CR, NUL or white space in a name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../webd/webd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Counts the lines starting with name followed by a colon. */
static unsigned
fuzz_count(const char *b, size_t len, const char *name)
{
	size_t n = strlen(name), i;
	unsigned k = 0;

	for (i = 0; i + n < len; i++)
		if ((i == 0 || b[i - 1] == '\n') && b[i + n] == ':' &&
		    strncasecmp(b + i, name, n) == 0)
			k++;
	return k;
}

static void
fuzz_trailer(const char *b, size_t size)
{
	const char *colon = memchr(b, ':', size), *why = NULL;
	size_t nlen = colon != NULL ? (size_t)(colon - b) : size, i;
	const char *v = colon != NULL ? colon + 1 : "";
	size_t vlen = colon != NULL ? size - nlen - 1 : 0;

	if (strict_trailer(b, nlen, v, vlen, &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
	if (nlen == 0)
		abort();
	for (i = 0; i < nlen; i++)
		if ((unsigned char)b[i] <= ' ' || b[i] == ':')
			abort();
	for (i = 0; i < vlen; i++)
		if (v[i] == '\0' || v[i] == '\r' || v[i] == '\n')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data, *why = NULL;
	int st = strict_check(b, size, &why);
	size_t i;

	fuzz_trailer(b, size);

	if (st != 0) {
		if (why == NULL || (st != 400 && st != 501))
			abort();
		return 0;
	}
	if (memchr(b, '\0', size) != NULL)
		abort();
	for (i = 0; i < size; i++)
		if (b[i] == '\r' && (i + 1 == size || b[i + 1] != '\n'))
			abort();
	if (fuzz_count(b, size, "content-length") > 1 ||
	    (fuzz_count(b, size, "content-length") &&
	    fuzz_count(b, size, "transfer-encoding")) ||
	    fuzz_count(b, size, "host") > 1)
		abort();
	if (size < 4 || b[size - 1] != '\n')
		abort();
	return 0;
}
