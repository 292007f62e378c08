/* fuzz_backup_scan.c - the dump scanner on arbitrary bytes, fed in two
 * pieces split at every length: the result must not depend on the split,
 * and row counts only come with a table. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../backup/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run(const char *d, size_t size, size_t cut, struct scan *s)
{
	scan_init(s);
	if (scan_feed(s, d, cut) == -1 || scan_feed(s, d + cut,
	    size - cut) == -1)
		return -1;
	return scan_finish(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct scan a, b;
	int ra, rb;
	size_t i;

	ra = run(d, size, 0, &a);
	rb = run(d, size, size / 2, &b);
	if (ra != rb || (ra == 0 && a.n != b.n))
		abort();
	for (i = 0; ra == 0 && i < a.n; i++)
		if (strcmp(a.t[i].name, b.t[i].name) != 0 ||
		    a.t[i].rows != b.t[i].rows ||
		    strcmp(a.t[i].hex, b.t[i].hex) != 0 ||
		    strlen(a.t[i].hex) != 64)
			abort();
	if (ra == -1 && (a.err[0] == '\0' || b.err[0] == '\0'))
		abort();
	scan_free(&a);
	scan_free(&b);
	return 0;
}
