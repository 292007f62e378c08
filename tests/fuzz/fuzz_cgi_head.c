/* fuzz_cgi_head.c - appd's CGI response head parser on arbitrary script
 * output. A parsed head must re-parse to the same result. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../appd/appd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct appd_cgi_head h, h2;
	const char *in = (const char *)data, *err;
	size_t end = appd_cgi_head_end(in, size);
	char *again;

	if (end == 0 || end > size)
		return 0;
	if (appd_cgi_head_parse(in, end, &h, &err) == -1)
		return 0;
	if (h.status < 100 || h.status > 599 || (!h.has_type &&
	    !h.has_location))
		abort();
	/* the normalised headers plus a blank line parse the same */
	again = malloc(h.headers_len + 2);
	if (again == NULL)
		abort();
	memcpy(again, h.headers, h.headers_len);
	memcpy(again + h.headers_len, "\r\n", 2);
	if (appd_cgi_head_end(again, h.headers_len + 2) != h.headers_len + 2 ||
	    appd_cgi_head_parse(again, h.headers_len + 2, &h2, &err) == -1 ||
	    h2.headers_len != h.headers_len ||
	    memcmp(h2.headers, h.headers, h.headers_len) != 0)
		abort();
	free(h2.headers);
	free(again);
	free(h.headers);
	return 0;
}
