/* manifest.c - the manifest frame at the end of a backup: encode, find,
 * decode, compare. Pure: no I/O. */
#include "backup.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const unsigned char frame_magic[4] = { 0x50, 0x2a, 0x4d, 0x18 };
static const char tail_magic[8] = "FOOBARBK";

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static json_t *
manifest_json(const struct manifest *m)
{
	json_t *o, *tables, *t;
	size_t i;

	if ((tables = json_array()) == NULL)
		return NULL;
	for (i = 0; i < m->ntables; i++) {
		t = json_pack("{s:s, s:I, s:s}", "name", m->tables[i].name,
		    "rows", (json_int_t)m->tables[i].rows, "sha256",
		    m->tables[i].sha256);
		if (t == NULL || json_array_append_new(tables, t) == -1) {
			json_decref(tables);
			return NULL;
		}
	}
	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:s, s:s, "
	    "s:o}", "format", m->format, "foobar_version", m->foobar_version,
	    "created_at", m->created_at, "database", m->database,
	    "schema_version", (json_int_t)m->schema_version,
	    "server_version", m->server_version,
	    "duration_ms", (json_int_t)m->duration_ms,
	    "data_size", (json_int_t)m->data_size,
	    "data_sha256", m->data_sha256,
	    "engine", "mariadb-dump --single-transaction", "tables", tables);
	return o;
}

int
manifest_encode(const struct manifest *m, unsigned char **out,
    size_t *outlen)
{
	json_t *o = manifest_json(m);
	char *js;
	size_t n;
	unsigned char *p;

	if (o == NULL)
		return -1;
	js = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (js == NULL)
		return -1;
	n = strlen(js);
	if (n > MANIFEST_JSON_MAX || (p = malloc(8 + n + 12)) == NULL) {
		free(js);
		return -1;
	}
	memcpy(p, frame_magic, 4);
	put32(p + 4, (uint32_t)(n + MANIFEST_TAIL));
	memcpy(p + 8, js, n);
	put32(p + 8 + n, (uint32_t)n);
	memcpy(p + 12 + n, tail_magic, 8);
	free(js);
	*out = p;
	*outlen = 8 + n + MANIFEST_TAIL;
	return 0;
}

int
manifest_locate(const unsigned char *tail, uint64_t filesize,
    uint64_t *frame_off, size_t *frame_len, char *err, size_t errlen)
{
	uint32_t n;

	if (filesize < 8 + MANIFEST_TAIL ||
	    memcmp(tail + 4, tail_magic, 8) != 0) {
		snprintf(err, errlen, "no manifest at the end of the file "
		    "(truncated, or not a foobar backup)");
		return -1;
	}
	n = get32(tail);
	if (n > MANIFEST_JSON_MAX || 8 + (uint64_t)n + MANIFEST_TAIL >
	    filesize) {
		snprintf(err, errlen, "manifest length %" PRIu32 " does not "
		    "fit the file", n);
		return -1;
	}
	*frame_len = 8 + (size_t)n + MANIFEST_TAIL;
	*frame_off = filesize - *frame_len;
	return 0;
}

/* Copies string member key of o into dst. 0 or -1. */
static int
get_str(json_t *o, const char *key, char *dst, size_t dstlen)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) >= dstlen ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int
get_u64(json_t *o, const char *key, uint64_t *dst)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*dst = (uint64_t)json_integer_value(v);
	return 0;
}

static int
decode_tables(json_t *arr, struct manifest *m)
{
	size_t i;
	json_t *t;

	if (!json_is_array(arr) || json_array_size(arr) > SCAN_TABLES_MAX)
		return -1;
	m->ntables = json_array_size(arr);
	if (m->ntables == 0)
		return 0;
	if ((m->tables = calloc(m->ntables, sizeof(*m->tables))) == NULL)
		return -1;
	json_array_foreach(arr, i, t) {
		if (get_str(t, "name", m->tables[i].name,
		    sizeof(m->tables[i].name)) == -1 ||
		    get_u64(t, "rows", &m->tables[i].rows) == -1 ||
		    get_str(t, "sha256", m->tables[i].sha256,
		    sizeof(m->tables[i].sha256)) == -1)
			return -1;
	}
	return 0;
}

static int
decode_object(json_t *o, struct manifest *m)
{
	uint64_t format, dur;

	if (!json_is_object(o) || get_u64(o, "format", &format) == -1 ||
	    format != 1)
		return -1;
	m->format = 1;
	if (get_str(o, "foobar_version", m->foobar_version,
	    sizeof(m->foobar_version)) == -1 ||
	    get_str(o, "created_at", m->created_at,
	    sizeof(m->created_at)) == -1 ||
	    get_str(o, "database", m->database, sizeof(m->database)) == -1 ||
	    get_u64(o, "schema_version", &m->schema_version) == -1 ||
	    get_str(o, "server_version", m->server_version,
	    sizeof(m->server_version)) == -1 ||
	    get_u64(o, "duration_ms", &dur) == -1 ||
	    get_u64(o, "data_size", &m->data_size) == -1 ||
	    get_str(o, "data_sha256", m->data_sha256,
	    sizeof(m->data_sha256)) == -1 ||
	    strlen(m->data_sha256) != 64)
		return -1;
	m->duration_ms = (long long)dur;
	return decode_tables(json_object_get(o, "tables"), m);
}

int
manifest_decode(const unsigned char *frame, size_t len, struct manifest *m,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *o;
	size_t n;

	memset(m, 0, sizeof(*m));
	if (len < 8 + MANIFEST_TAIL || memcmp(frame, frame_magic, 4) != 0 ||
	    get32(frame + 4) != len - 8 ||
	    memcmp(frame + len - 8, tail_magic, 8) != 0 ||
	    (n = get32(frame + len - MANIFEST_TAIL)) != len - 8 -
	    MANIFEST_TAIL) {
		snprintf(err, errlen, "damaged manifest frame");
		return -1;
	}
	o = json_loadb((const char *)frame + 8, n, JSON_REJECT_DUPLICATES,
	    &je);
	if (o == NULL) {
		snprintf(err, errlen, "damaged manifest: %s", je.text);
		return -1;
	}
	if (decode_object(o, m) == -1) {
		json_decref(o);
		manifest_free(m);
		snprintf(err, errlen, "damaged manifest: missing or bad "
		    "fields");
		return -1;
	}
	json_decref(o);
	return 0;
}

void
manifest_free(struct manifest *m)
{
	free(m->tables);
	m->tables = NULL;
	m->ntables = 0;
}

int
manifest_set_tables(struct manifest *m, const struct scan *s)
{
	size_t i;

	manifest_free(m);
	if (s->n == 0)
		return 0;
	if ((m->tables = calloc(s->n, sizeof(*m->tables))) == NULL)
		return -1;
	for (i = 0; i < s->n; i++) {
		memcpy(m->tables[i].name, s->t[i].name,
		    sizeof(m->tables[i].name));
		m->tables[i].rows = s->t[i].rows;
		memcpy(m->tables[i].sha256, s->t[i].hex, 65);
	}
	m->ntables = s->n;
	return 0;
}

static const struct mtable *
find_table(const struct manifest *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i].name, name) == 0)
			return &m->tables[i];
	return NULL;
}

int
manifest_compare(const struct manifest *a, const struct manifest *b,
    char *err, size_t errlen)
{
	const struct mtable *ta, *tb;
	size_t i;

	for (i = 0; i < a->ntables; i++) {
		ta = &a->tables[i];
		if ((tb = find_table(b, ta->name)) == NULL) {
			snprintf(err, errlen, "table %s is missing", ta->name);
			return -1;
		}
		if (ta->rows != tb->rows) {
			snprintf(err, errlen, "table %s: %" PRIu64 " rows, "
			    "the backup has %" PRIu64, ta->name, tb->rows,
			    ta->rows);
			return -1;
		}
		if (strcmp(ta->sha256, tb->sha256) != 0) {
			snprintf(err, errlen, "table %s: the rows differ from "
			    "the backup's (sha256)", ta->name);
			return -1;
		}
	}
	for (i = 0; i < b->ntables; i++)
		if (find_table(a, b->tables[i].name) == NULL) {
			snprintf(err, errlen, "table %s is not in the backup",
			    b->tables[i].name);
			return -1;
		}
	return 0;
}
