/* fuzz_path.c - the request path normaliser on arbitrary bytes. Whatever
 * it accepts must stay below the root. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../webd/webd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[WEBD_PATH_MAX];
	const char *err, *p;
	int dir;

	if (path_normalize((const char *)data, size, out, sizeof(out), &dir,
	    &err) == -1) {
		if (err == NULL)
			abort();
		return 0;
	}
	if (out[0] == '/' || strstr(out, "//") != NULL ||
	    strchr(out, '\\') != NULL)
		abort();
	for (p = out; *p != '\0'; p = strchr(p, '/') ? strchr(p, '/') + 1 :
	    p + strlen(p)) {
		if (strncmp(p, "../", 3) == 0 || strcmp(p, "..") == 0 ||
		    strncmp(p, "./", 2) == 0 || strcmp(p, ".") == 0)
			abort();
		if ((unsigned char)*p < 0x20)
			abort();
	}
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	return 0;
}
