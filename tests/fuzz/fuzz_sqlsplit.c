/* fuzz_sqlsplit.c - the SQL statement splitter on arbitrary bytes, with
 * its invariants checked: statements lie inside the input, in order, are
 * not empty, and their line numbers are right. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dbmigrate/dbmigrate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned
line_of(const char *base, const char *p)
{
	unsigned line = 1;

	for (; base < p; base++)
		if (*base == '\n')
			line++;
	return line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sql = (const char *)data;
	const char *prev_end = sql;
	struct sql_script s;
	char err[256];
	size_t i;

	if (sqlsplit(sql, size, &s, err, sizeof(err)) == -1) {
		if (s.stmts != NULL || s.n != 0 || strncmp(err, "line ", 5))
			abort();
		return 0;
	}
	for (i = 0; i < s.n; i++) {
		const struct sql_stmt *st = &s.stmts[i];

		if (st->len == 0 || st->text < prev_end ||
		    st->text + st->len > sql + size)
			abort();
		if (size < 4096 && st->line != line_of(sql, st->text))
			abort();
		prev_end = st->text + st->len;
	}
	sqlsplit_free(&s);
	return 0;
}
