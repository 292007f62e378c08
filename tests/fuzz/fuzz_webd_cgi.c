/* fuzz_webd_cgi.c - webd's reading of a backend's CGI response header on
 * arbitrary bytes: every field it reports is clean. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../webd/webd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_field(void *arg, const char *name, const char *value)
{
	if (name[0] == '\0' || strpbrk(name, " \t\r\n:") != NULL ||
	    strpbrk(value, "\r\n") != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t end = cgi_header_end((const char *)data, size);

	if (end > size)
		abort();
	cgi_header_each((const char *)data, end ? end : size, fuzz_field,
	    NULL);
	return 0;
}
