/* fuzz_backup_manifest.c - a backup's tail and manifest frame from
 * arbitrary bytes: locate must stay inside the file, decode must either
 * fail with a message or give a manifest that encodes back to a frame
 * that decodes to the same tables. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../backup/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct manifest *m)
{
	struct manifest back;
	unsigned char *frame;
	size_t len;
	char err[256];

	if (manifest_encode(m, &frame, &len) == -1)
		return;
	if (manifest_decode(frame, len, &back, err, sizeof(err)) == -1 ||
	    manifest_compare(m, &back, err, sizeof(err)) == -1 ||
	    back.schema_version != m->schema_version ||
	    back.data_size != m->data_size)
		abort();
	manifest_free(&back);
	free(frame);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	uint64_t off;
	size_t len;
	char err[256];

	if (size >= MANIFEST_TAIL && manifest_locate(data + size -
	    MANIFEST_TAIL, size, &off, &len, err, sizeof(err)) == 0 &&
	    (off + len != size || len < 8 + MANIFEST_TAIL))
		abort();
	if (manifest_decode(data, size, &m, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || m.tables != NULL)
			abort();
		return 0;
	}
	roundtrip(&m);
	manifest_free(&m);
	return 0;
}
