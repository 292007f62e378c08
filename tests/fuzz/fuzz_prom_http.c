/* fuzz_prom_http.c - the head of a scrape request on arbitrary bytes, as
 * appd's metrics listener reads it: never past the bytes, a path that
 * starts with '/' and holds no control byte, the same answer for the same
 * bytes followed by more. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], path2[64];
	int head = 0, head2 = 0, r, r2;
	size_t i;
	char *more;

	r = prom_http_request((const char *)data, size, path, sizeof(path),
	    &head);
	if (r < -1 || r > 1)
		abort();
	if (r == 1) {
		if (path[0] != '/' || strlen(path) >= sizeof(path))
			abort();
		for (i = 0; path[i] != '\0'; i++)
			if ((unsigned char)path[i] <= ' ' || path[i] == '?')
				abort();
	}
	if (r == 0 || (more = malloc(size + 4)) == NULL)
		return 0;
	memcpy(more, data, size);
	memcpy(more + size, "\r\n\r\n", 4);
	r2 = prom_http_request(more, size + 4, path2, sizeof(path2), &head2);
	free(more);
	if (r2 != r || (r == 1 && (strcmp(path, path2) != 0 || head != head2)))
		abort();
	return 0;
}
