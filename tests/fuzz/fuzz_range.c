/* fuzz_range.c - the Range header parser and HTTP dates on arbitrary
 * bytes. A satisfiable range must lie inside the representation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../webd/webd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long long sizes[] = { 0, 1, 100, 1024, 1LL << 40 };
	char str[256];
	long long first, last;
	time_t t;
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int v = range_parse((const char *)data, size, sizes[i], &first,
		    &last);

		if (v == RANGE_OK && (first < 0 || last < first ||
		    last >= sizes[i]))
			abort();
		if (v != RANGE_OK && v != RANGE_IGNORE &&
		    v != RANGE_UNSATISFIABLE)
			abort();
	}
	if (size < sizeof(str)) {
		memcpy(str, data, size);
		str[size] = '\0';
		if (cond_date_parse(str, &t) == 0 && t < 0)
			abort();
	}
	return 0;
}
