/* fuzz_fcgi.c - the FastCGI parser and name-value pairs on arbitrary
 * bytes. The first byte picks where the input is split in two, so the
 * corpus also exercises reassembly; both halves must parse the same as
 * the whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_sum {
	unsigned long long h;
	size_t records, bytes;
	unsigned char params[4096];
	size_t plen;
};

static void
fuzz_mix(struct fuzz_sum *s, unsigned long long v)
{
	s->h = (s->h ^ v) * 1099511628211ULL;
}

static int
fuzz_pair(void *arg, const struct fcgi_nv *nv)
{
	unsigned char buf[512];
	struct fcgi_nv back;
	size_t n;

	/* a pair re-encoded decodes to the same pair */
	n = fcgi_nv_encode(buf, sizeof(buf), nv->name, nv->nlen, nv->value,
	    nv->vlen);
	if (n == 0)
		return 0;
	if (fcgi_nv_decode(buf, n, &back) != n || back.nlen != nv->nlen ||
	    back.vlen != nv->vlen || memcmp(back.name, nv->name, nv->nlen) ||
	    memcmp(back.value, nv->value, nv->vlen))
		abort();
	return 0;
}

static void
fuzz_record(struct fuzz_sum *s, const struct fcgi_event *ev)
{
	unsigned char out[8192];
	const char *err;

	fuzz_mix(s, ev->type);
	fuzz_mix(s, ev->request_id);
	fuzz_mix(s, ev->content_length);
	fuzz_mix(s, ev->role ^ ev->flags ^ ev->app_status ^
	    ev->protocol_status ^ ev->unknown_type);
	s->records++;
	if (ev->type == FCGI_PARAMS || ev->type == FCGI_GET_VALUES) {
		fcgi_nv_each(s->params, s->plen, fuzz_pair, NULL, &err);
		if (ev->type == FCGI_GET_VALUES)
			fcgi_get_values_result(out, sizeof(out), s->params,
			    s->plen, 1, 1, 0);
	}
	s->plen = 0;
}

/* Returns 0, or -1 on a protocol error. */
static int
fuzz_feed(struct fuzz_sum *s, struct fcgi_parser *p, const uint8_t *in,
    size_t len)
{
	struct fcgi_event ev;
	size_t off = 0;
	long n;

	for (;;) {
		n = fcgi_parse(p, in + off, len - off, &ev);
		if (n < 0)
			return -1;
		off += (size_t)n;
		if (off > len)
			abort();
		if (ev.kind == FCGI_EV_NONE)
			break;
		if (ev.kind == FCGI_EV_DATA) {
			size_t i, k = ev.len;

			if (ev.len == 0)
				abort();
			for (i = 0; i < ev.len; i++)
				fuzz_mix(s, ev.data[i]);
			s->bytes += ev.len;
			if (k > sizeof(s->params) - s->plen)
				k = sizeof(s->params) - s->plen;
			memcpy(s->params + s->plen, ev.data, k);
			s->plen += k;
		} else {
			fuzz_record(s, &ev);
		}
	}
	if (off != len)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_sum a, b;
	struct fcgi_parser p;
	size_t cut;
	int ra, rb;

	if (size < 1)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	fcgi_parser_init(&p);
	/* the look-ahead stays inside the bytes (ASan would tell) */
	if (fcgi_stdin_complete(&p, data, size, 1) == -1)
		abort();
	ra = fuzz_feed(&a, &p, data, size);
	fcgi_parser_init(&p);
	rb = fuzz_feed(&b, &p, data, cut);
	if (rb == 0)
		rb = fuzz_feed(&b, &p, data + cut, size - cut);
	if (ra != rb)
		abort();
	if (ra == 0 && (a.h != b.h || a.records != b.records ||
	    a.bytes != b.bytes))
		abort();
	return 0;
}
