/* fuzz_redirect.c - redirect_https_url on an arbitrary Host header (the
 * input up to its first NUL or newline) and request target (the rest).
 * Whatever it writes is one https URL with no byte that could end a
 * header line or split the host from the path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../webd/webd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *uri, url[512];
	const char *p;
	size_t hostlen;

	in = malloc(size + 1);
	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	uri = strchr(in, '\n');
	if (uri != NULL)
		*uri++ = '\0';
	else
		uri = in + strlen(in);
	(void)redirect_is_acme(uri);
	if (redirect_https_url(url, sizeof(url), in, 8443, uri) == 0) {
		if (strncmp(url, "https://", 8) != 0 ||
		    strpbrk(url, "\r\n\t ") != NULL)
			abort();
		/* the host ends at the port, and the path follows it */
		p = url + 8;
		hostlen = strcspn(p, "/?#@");
		if (p[hostlen] != '/' || strchr(in, '@') != NULL)
			abort();
		if (strstr(url, uri) == NULL)
			abort();
	}
	free(in);
	return 0;
}
