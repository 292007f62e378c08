/* test_fcgi.c - lib/fcgi: records, name-value pairs, reassembly. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "unit.h"

/* A transcript of parser events: one line per record, with the record's
 * content as it was reassembled. Equal transcripts mean equal parses. */
struct tr {
	unsigned char *buf;
	size_t len, cap;
	unsigned char cur[300000];
	size_t curlen;
	int records;
};

static void
tr_add(struct tr *t, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 1024;
		t->buf = realloc(t->buf, t->cap);
		ck_assert_ptr_nonnull(t->buf);
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* Feeds in (len bytes) to p, appending events to t. Returns -1 on a
 * protocol error. */
static int
tr_feed(struct tr *t, struct fcgi_parser *p, const unsigned char *in,
    size_t len)
{
	struct fcgi_event ev;
	size_t off = 0;
	char line[160];
	long n;

	for (;;) {
		n = fcgi_parse(p, in + off, len - off, &ev);
		if (n < 0)
			return -1;
		off += (size_t)n;
		ck_assert_uint_le(off, len);
		if (ev.kind == FCGI_EV_NONE)
			break;
		if (ev.kind == FCGI_EV_DATA) {
			ck_assert_uint_gt(ev.len, 0);
			ck_assert_uint_le(t->curlen + ev.len, sizeof(t->cur));
			memcpy(t->cur + t->curlen, ev.data, ev.len);
			t->curlen += ev.len;
			continue;
		}
		snprintf(line, sizeof(line),
		    "\nT%u I%u L%zu R%u F%u A%u P%u U%u D%zu:", ev.type,
		    ev.request_id, ev.content_length, ev.role, ev.flags,
		    (unsigned)ev.app_status, ev.protocol_status,
		    ev.unknown_type, t->curlen);
		tr_add(t, line, strlen(line));
		tr_add(t, t->cur, t->curlen);
		t->curlen = 0;
		t->records++;
	}
	ck_assert_uint_eq(off, len);
	return 0;
}

static void
tr_free(struct tr *t)
{
	free(t->buf);
	free(t);
}

static struct tr *
tr_new(void)
{
	struct tr *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	return t;
}

/* The stream a web server sends and an app answers, in one buffer. */
static size_t
sample_stream(unsigned char *out, size_t cap)
{
	unsigned char params[1024], big[300];
	size_t off = 0, plen = 0;

	memset(big, 'v', sizeof(big));
	plen += fcgi_nv_encode(params + plen, sizeof(params) - plen,
	    "REQUEST_METHOD", 14, "POST", 4);
	plen += fcgi_nv_encode(params + plen, sizeof(params) - plen,
	    "EMPTY", 5, "", 0);
	plen += fcgi_nv_encode(params + plen, sizeof(params) - plen,
	    "N127", 4, big, 127);
	plen += fcgi_nv_encode(params + plen, sizeof(params) - plen,
	    big, 128, "x", 1);
	off += fcgi_begin_request_encode(out + off, 1, FCGI_RESPONDER,
	    FCGI_KEEP_CONN);
	/* PARAMS split inside a pair */
	off += fcgi_record_encode(out + off, cap - off, FCGI_PARAMS, 1,
	    params, 20);
	off += fcgi_record_encode(out + off, cap - off, FCGI_PARAMS, 1,
	    params + 20, plen - 20);
	off += fcgi_record_encode(out + off, cap - off, FCGI_PARAMS, 1, NULL,
	    0);
	off += fcgi_record_encode(out + off, cap - off, FCGI_STDIN, 1, "hello",
	    5);
	off += fcgi_record_encode(out + off, cap - off, FCGI_STDIN, 1, NULL,
	    0);
	off += fcgi_record_encode(out + off, cap - off, FCGI_STDOUT, 1,
	    "Status: 200 OK\r\n\r\nhi", 20);
	off += fcgi_record_encode(out + off, cap - off, FCGI_STDERR, 1, "oops",
	    4);
	off += fcgi_record_encode(out + off, cap - off, FCGI_STDOUT, 1, NULL,
	    0);
	off += fcgi_end_request_encode(out + off, 1, 0x01020304,
	    FCGI_OVERLOADED);
	off += fcgi_unknown_type_encode(out + off, 77);
	off += fcgi_abort_request_encode(out + off, 65535);
	off += fcgi_record_encode(out + off, cap - off, FCGI_GET_VALUES, 0,
	    params, plen);
	return off;
}

START_TEST(header_roundtrip)
{
	unsigned char b[8];
	struct fcgi_header h;
	const char *err = NULL;

	fcgi_header_encode(b, FCGI_STDOUT, 0xabcd, 65535, 255);
	ck_assert_int_eq(fcgi_header_decode(b, &h, &err), 0);
	ck_assert_uint_eq(h.version, 1);
	ck_assert_uint_eq(h.type, FCGI_STDOUT);
	ck_assert_uint_eq(h.request_id, 0xabcd);
	ck_assert_uint_eq(h.content_length, 65535);
	ck_assert_uint_eq(h.padding_length, 255);
	ck_assert_uint_eq(b[2], 0xab);
	ck_assert_uint_eq(b[3], 0xcd);
	ck_assert_uint_eq(b[7], 0);
	b[0] = 2;
	ck_assert_int_eq(fcgi_header_decode(b, &h, &err), -1);
	ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(padding)
{
	unsigned char out[64];
	size_t i;

	ck_assert_uint_eq(fcgi_padding(0), 0);
	ck_assert_uint_eq(fcgi_padding(1), 7);
	ck_assert_uint_eq(fcgi_padding(8), 0);
	ck_assert_uint_eq(fcgi_padding(65535), 1);
	for (i = 0; i <= 40; i++) {
		size_t n = fcgi_record_encode(out, sizeof(out), FCGI_STDIN, 1,
		    "0123456789012345678901234567890123456789", i);
		ck_assert_uint_eq(n, fcgi_record_size(i));
		ck_assert_uint_eq(n % 8, 0);
		ck_assert_uint_eq(out[6], fcgi_padding(i));
	}
	/* too small a buffer, too long a record */
	ck_assert_uint_eq(fcgi_record_encode(out, 15, FCGI_STDIN, 1, "x", 1),
	    0);
	ck_assert_uint_eq(fcgi_record_encode(out, sizeof(out), FCGI_STDIN, 1,
	    "x", 65536), 0);
}
END_TEST

/* A peer may pad with up to 255 bytes, not aligned. */
START_TEST(foreign_padding)
{
	unsigned char in[8 + 3 + 255 + 8];
	struct fcgi_parser p;
	struct tr *t = tr_new();
	size_t i;

	memset(in, 0xee, sizeof(in));
	fcgi_header_encode(in, FCGI_STDOUT, 1, 3, 255);
	memcpy(in + 8, "abc", 3);
	fcgi_header_encode(in + 8 + 3 + 255, FCGI_STDOUT, 1, 0, 0);
	for (i = 0; i < sizeof(in); i++) {
		fcgi_parser_init(&p);
		t->len = 0;
		ck_assert_int_eq(tr_feed(t, &p, in, i), 0);
		ck_assert_int_eq(tr_feed(t, &p, in + i, sizeof(in) - i), 0);
		ck_assert_int_eq(fcgi_parser_idle(&p), 1);
		ck_assert_uint_eq(t->len, strlen("\nT6 I1 L3 R0 F0 A0 P0 U0 D3:abc"
		    "\nT6 I1 L0 R0 F0 A0 P0 U0 D0:"));
		ck_assert(memcmp(t->buf, "\nT6 I1 L3 R0 F0 A0 P0 U0 D3:abc",
		    31) == 0);
	}
	tr_free(t);
}
END_TEST

static void
nv_roundtrip(size_t nlen, size_t vlen)
{
	unsigned char *name = malloc(nlen + 1), *value = malloc(vlen + 1);
	size_t size = fcgi_nv_size(nlen, vlen), n, i;
	unsigned char *buf = malloc(size);
	struct fcgi_nv nv;

	ck_assert_ptr_nonnull(name);
	ck_assert_ptr_nonnull(value);
	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < nlen; i++)
		name[i] = (unsigned char)('a' + i % 26);
	for (i = 0; i < vlen; i++)
		value[i] = (unsigned char)i;
	ck_assert_uint_eq(size, (nlen > 127 ? 4 : 1) + (vlen > 127 ? 4 : 1) +
	    nlen + vlen);
	ck_assert_uint_eq(fcgi_nv_encode(buf, size - 1, name, nlen, value,
	    vlen), 0);
	n = fcgi_nv_encode(buf, size, name, nlen, value, vlen);
	ck_assert_uint_eq(n, size);
	ck_assert_uint_eq(buf[0] >> 7, nlen > 127);
	ck_assert_uint_eq(fcgi_nv_decode(buf, n, &nv), n);
	ck_assert_uint_eq(nv.nlen, nlen);
	ck_assert_uint_eq(nv.vlen, vlen);
	ck_assert(memcmp(nv.name, name, nlen) == 0);
	ck_assert(memcmp(nv.value, value, vlen) == 0);
	/* every proper prefix is incomplete */
	for (i = 0; i < n; i += (i < 16 || n - i < 16) ? 1 : 997)
		ck_assert_uint_eq(fcgi_nv_decode(buf, i, &nv), 0);
	free(name);
	free(value);
	free(buf);
}

START_TEST(nv_edges)
{
	static const size_t lens[] = { 0, 1, 127, 128, 129, 255, 256, 65535,
		65536 };
	size_t i, j;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++)
			nv_roundtrip(lens[i], lens[j]);
}
END_TEST

START_TEST(nv_length_bytes)
{
	static char src[256];
	unsigned char buf[200];
	struct fcgi_nv nv;

	/* 127 is the longest 1-byte length; 128 takes 4 bytes. */
	memset(src, 'x', sizeof(src));
	memset(buf, 0, sizeof(buf));
	ck_assert_uint_eq(fcgi_nv_encode(buf, sizeof(buf), src, 127,
	    "", 0), 129);
	ck_assert_uint_eq(buf[0], 127);
	ck_assert_uint_eq(fcgi_nv_encode(buf, sizeof(buf), "", 0, src,
	    128), 133);
	ck_assert_uint_eq(buf[0], 0);
	ck_assert_uint_eq(buf[1], 0x80);
	ck_assert_uint_eq(buf[2], 0);
	ck_assert_uint_eq(buf[3], 0);
	ck_assert_uint_eq(buf[4], 128);
	/* a 4-byte length may be used for short values too */
	memcpy(buf, "\x80\x00\x00\x01\x01" "ab", 7);
	ck_assert_uint_eq(fcgi_nv_decode(buf, 7, &nv), 7);
	ck_assert_uint_eq(nv.nlen, 1);
	ck_assert_uint_eq(nv.name[0], 'a');
	/* a huge length never reads past the buffer */
	memcpy(buf, "\xff\xff\xff\xff\x01", 5);
	ck_assert_uint_eq(fcgi_nv_decode(buf, 5, &nv), 0);
}
END_TEST

static int
count_pair(void *arg, const struct fcgi_nv *nv)
{
	(*(int *)arg)++;
	return 0;
}

START_TEST(nv_each)
{
	unsigned char buf[64];
	size_t n = 0;
	const char *err = NULL;
	int count = 0;

	n += fcgi_nv_encode(buf + n, sizeof(buf) - n, "A", 1, "1", 1);
	n += fcgi_nv_encode(buf + n, sizeof(buf) - n, "B", 1, "", 0);
	ck_assert_int_eq(fcgi_nv_each(buf, n, count_pair, &count, &err), 0);
	ck_assert_int_eq(count, 2);
	count = 0;
	ck_assert_int_eq(fcgi_nv_each(buf, 0, count_pair, &count, &err), 0);
	ck_assert_int_eq(count, 0);
	ck_assert_int_eq(fcgi_nv_each(buf, n - 1, count_pair, &count, &err),
	    -1);
	ck_assert_ptr_nonnull(err);
}
END_TEST

/* The same transcript whichever way the bytes are split. */
START_TEST(split_everywhere)
{
	static unsigned char in[4096];
	size_t len = sample_stream(in, sizeof(in)), i, j;
	struct fcgi_parser p;
	struct tr *whole = tr_new(), *t = tr_new();

	fcgi_parser_init(&p);
	ck_assert_int_eq(tr_feed(whole, &p, in, len), 0);
	ck_assert_int_eq(whole->records, 13);
	ck_assert_int_eq(fcgi_parser_idle(&p), 1);
	ck_assert(memmem(whole->buf, whole->len, "T1 I1 L8 R1 F1", 14));
	ck_assert(memmem(whole->buf, whole->len,
	    "T3 I1 L8 R0 F0 A16909060 P2", 27));
	ck_assert(memmem(whole->buf, whole->len, "U77", 3));
	ck_assert(memmem(whole->buf, whole->len, "T2 I65535 L0", 12));
	ck_assert(memmem(whole->buf, whole->len, "D5:hello", 8));
	/* two pieces, split at every byte */
	for (i = 0; i <= len; i++) {
		fcgi_parser_init(&p);
		t->len = 0;
		t->records = 0;
		ck_assert_int_eq(tr_feed(t, &p, in, i), 0);
		ck_assert_int_eq(tr_feed(t, &p, in + i, len - i), 0);
		ck_assert_uint_eq(t->len, whole->len);
		ck_assert(memcmp(t->buf, whole->buf, t->len) == 0);
	}
	/* one byte at a time */
	fcgi_parser_init(&p);
	t->len = 0;
	for (j = 0; j < len; j++)
		ck_assert_int_eq(tr_feed(t, &p, in + j, 1), 0);
	ck_assert_uint_eq(t->len, whole->len);
	ck_assert(memcmp(t->buf, whole->buf, t->len) == 0);
	tr_free(whole);
	tr_free(t);
}
END_TEST

START_TEST(idle_states)
{
	unsigned char in[32];
	size_t len = fcgi_record_encode(in, sizeof(in), FCGI_STDOUT, 1, "abc",
	    3);
	struct fcgi_parser p;
	struct tr *t = tr_new();
	size_t i;

	for (i = 0; i <= len; i++) {
		fcgi_parser_init(&p);
		ck_assert_int_eq(tr_feed(t, &p, in, i), 0);
		/* between records only at 0 and once the content is read */
		ck_assert_int_eq(fcgi_parser_idle(&p), i == 0 || i >= 11);
	}
	/* empty input: no event */
	fcgi_parser_init(&p);
	t->records = 0;
	ck_assert_int_eq(tr_feed(t, &p, in, 0), 0);
	ck_assert_int_eq(t->records, 0);
	tr_free(t);
}
END_TEST

START_TEST(empty_streams)
{
	unsigned char in[64];
	size_t len = 0;
	struct fcgi_parser p;
	struct tr *t = tr_new();

	len += fcgi_record_encode(in + len, sizeof(in) - len, FCGI_PARAMS, 1,
	    NULL, 0);
	len += fcgi_record_encode(in + len, sizeof(in) - len, FCGI_STDIN, 1,
	    NULL, 0);
	ck_assert_uint_eq(len, 16);
	fcgi_parser_init(&p);
	ck_assert_int_eq(tr_feed(t, &p, in, len), 0);
	ck_assert_int_eq(t->records, 2);
	ck_assert_ptr_nonnull(t->buf);
	ck_assert(memmem(t->buf, t->len, "T4 I1 L0", 8));
	ck_assert(memmem(t->buf, t->len, "T5 I1 L0", 8));
	ck_assert_uint_eq(fcgi_stream_size(0), 0);
	ck_assert_uint_eq(fcgi_stream_encode(in, sizeof(in), FCGI_STDOUT, 1,
	    "", 0), 0);
	tr_free(t);
}
END_TEST

START_TEST(long_stream)
{
	size_t dlen = 200000, size = fcgi_stream_size(dlen), n, i;
	unsigned char *data = malloc(dlen), *out = malloc(size + 8);
	struct fcgi_parser p;
	struct tr *t = tr_new();

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(out);
	for (i = 0; i < dlen; i++)
		data[i] = (unsigned char)(i * 7);
	ck_assert_uint_eq(fcgi_stream_encode(out, size - 1, FCGI_STDOUT, 1,
	    data, dlen), 0);
	n = fcgi_stream_encode(out, size, FCGI_STDOUT, 1, data, dlen);
	ck_assert_uint_eq(n, size);
	ck_assert_uint_eq(n, 4 * 8 + dlen + fcgi_padding(dlen -
	    3 * FCGI_STREAM_CHUNK));
	fcgi_parser_init(&p);
	/* feed in odd-sized pieces */
	for (i = 0; i < n; i += 4093)
		ck_assert_int_eq(tr_feed(t, &p, out + i,
		    n - i < 4093 ? n - i : 4093), 0);
	ck_assert_int_eq(t->records, 4);
	/* the content of the 4 records, concatenated, is the data */
	{
		size_t got = 0, off = 0;
		unsigned char *pos = t->buf;
		unsigned char *all = malloc(dlen);

		ck_assert_ptr_nonnull(all);
		while ((pos = memmem(pos, t->len - (size_t)(pos - t->buf),
		    " D", 2)) != NULL) {
			size_t dl = strtoul((char *)pos + 2, NULL, 10);
			unsigned char *colon = memchr(pos, ':', 20);

			ck_assert_ptr_nonnull(colon);
			memcpy(all + off, colon + 1, dl);
			off += dl;
			got++;
			pos = colon + 1 + dl;
		}
		ck_assert_uint_eq(got, 4);
		ck_assert_uint_eq(off, dlen);
		ck_assert(memcmp(all, data, dlen) == 0);
		free(all);
	}
	free(data);
	free(out);
	tr_free(t);
}
END_TEST

START_TEST(protocol_errors)
{
	unsigned char in[32];
	struct fcgi_parser p;
	struct fcgi_event ev;

	/* version 0 */
	fcgi_header_encode(in, FCGI_STDIN, 1, 0, 0);
	in[0] = 0;
	fcgi_parser_init(&p);
	ck_assert_int_eq(fcgi_parse(&p, in, 8, &ev), -1);
	ck_assert_ptr_nonnull(p.err);
	/* BEGIN_REQUEST with a 4-byte body */
	fcgi_header_encode(in, FCGI_BEGIN_REQUEST, 1, 4, 4);
	fcgi_parser_init(&p);
	ck_assert_int_eq(fcgi_parse(&p, in, 16, &ev), -1);
	/* a longer fixed body is accepted, excess skipped */
	fcgi_header_encode(in, FCGI_END_REQUEST, 1, 12, 4);
	memset(in + 8, 0, 16);
	in[12] = FCGI_OVERLOADED;
	fcgi_parser_init(&p);
	ck_assert_int_eq(fcgi_parse(&p, in, 24, &ev), 20);
	ck_assert_int_eq(ev.kind, FCGI_EV_RECORD);
	ck_assert_uint_eq(ev.protocol_status, FCGI_OVERLOADED);
	ck_assert_int_eq(fcgi_parse(&p, in + 20, 4, &ev), 4);
	ck_assert_int_eq(ev.kind, FCGI_EV_NONE);
	ck_assert_int_eq(fcgi_parser_idle(&p), 1);
}
END_TEST

START_TEST(get_values)
{
	unsigned char q[128], out[256];
	size_t qlen = 0, n;
	struct fcgi_header h;
	const char *err;
	char s[200];

	qlen += fcgi_nv_encode(q + qlen, sizeof(q) - qlen, "FCGI_MAX_CONNS",
	    14, "", 0);
	qlen += fcgi_nv_encode(q + qlen, sizeof(q) - qlen, "FCGI_UNKNOWN", 12,
	    "", 0);
	qlen += fcgi_nv_encode(q + qlen, sizeof(q) - qlen, "FCGI_MPXS_CONNS",
	    15, "", 0);
	qlen += fcgi_nv_encode(q + qlen, sizeof(q) - qlen, "FCGI_MAX_REQS",
	    13, "", 0);
	n = fcgi_get_values_result(out, sizeof(out), q, qlen, 4, 4, 0);
	ck_assert_uint_gt(n, 8);
	ck_assert_uint_eq(n % 8, 0);
	ck_assert_int_eq(fcgi_header_decode(out, &h, &err), 0);
	ck_assert_uint_eq(h.type, FCGI_GET_VALUES_RESULT);
	ck_assert_uint_eq(h.request_id, 0);
	ck_assert_uint_eq(h.content_length, 2 + 14 + 1 + 2 + 15 + 1 + 2 + 13 +
	    1);
	memcpy(s, out + 8, h.content_length);
	s[h.content_length] = 0;
	ck_assert(memmem(s, h.content_length, "FCGI_MAX_CONNS4", 15));
	ck_assert(memmem(s, h.content_length, "FCGI_MPXS_CONNS0", 16));
	ck_assert(memmem(s, h.content_length, "FCGI_MAX_REQS4", 14));
	/* malformed pairs, small buffer */
	ck_assert_uint_eq(fcgi_get_values_result(out, sizeof(out), q, qlen - 1,
	    4, 4, 0), 0);
	ck_assert_uint_eq(fcgi_get_values_result(out, 20, q, qlen, 4, 4, 0),
	    0);
	/* nothing asked: an empty result */
	ck_assert_uint_eq(fcgi_get_values_result(out, sizeof(out), q, 0, 4, 4,
	    0), 8);
}
END_TEST

START_TEST(fixed_records)
{
	unsigned char b[16];

	ck_assert_uint_eq(fcgi_begin_request_encode(b, 258, FCGI_RESPONDER,
	    FCGI_KEEP_CONN), 16);
	ck_assert(memcmp(b, "\1\1\1\2\0\10\0\0\0\1\1\0\0\0\0\0", 16) == 0);
	ck_assert_uint_eq(fcgi_end_request_encode(b, 1, 0xff000001,
	    FCGI_UNKNOWN_ROLE), 16);
	ck_assert(memcmp(b, "\1\3\0\1\0\10\0\0\xff\0\0\1\3\0\0\0", 16) == 0);
	ck_assert_uint_eq(fcgi_unknown_type_encode(b, 200), 16);
	ck_assert(memcmp(b, "\1\13\0\0\0\10\0\0\310\0\0\0\0\0\0\0", 16) == 0);
	ck_assert_uint_eq(fcgi_abort_request_encode(b, 1), 8);
	ck_assert(memcmp(b, "\1\2\0\1\0\0\0\0", 8) == 0);
}
END_TEST

START_TEST(stdin_lookahead)
{
	unsigned char b[256];
	struct fcgi_parser p;
	struct fcgi_event ev;
	size_t len = 0, end, k;
	long n;

	/* an empty PARAMS record with 3 bytes of padding, as a peer may
	 * send it, then STDIN for request 2 (not ours), then ours */
	memcpy(b, "\1\4\0\1\0\0\3\0xyz", 11);
	len = 11;
	len += fcgi_stream_encode(b + len, sizeof(b) - len, FCGI_STDIN, 2,
	    "other", 5);
	len += fcgi_record_encode(b + len, sizeof(b) - len, FCGI_STDIN, 1,
	    "hello", 5);
	end = len + FCGI_HEADER_LEN;
	len += fcgi_record_encode(b + len, sizeof(b) - len, FCGI_STDIN, 1,
	    NULL, 0);
	fcgi_parser_init(&p);
	n = fcgi_parse(&p, b, len, &ev);
	ck_assert_int_eq(ev.kind, FCGI_EV_RECORD);
	ck_assert_uint_eq(ev.type, FCGI_PARAMS);
	/* from there, every prefix: complete only with the whole header of
	 * the empty record */
	for (k = (size_t)n; k <= len; k++)
		ck_assert_int_eq(fcgi_stdin_complete(&p, b + n, k - (size_t)n,
		    1), k >= end);
	ck_assert_int_eq(fcgi_stdin_complete(&p, b + n, len - (size_t)n, 3),
	    0);
	/* inside a record: cannot tell */
	fcgi_parser_init(&p);
	fcgi_parse(&p, b + 11, 9, &ev);
	ck_assert_int_eq(fcgi_stdin_complete(&p, b + 20, len - 20, 1), -1);
	/* an ABORT_REQUEST ends the wait too */
	fcgi_parser_init(&p);
	ck_assert_uint_eq(fcgi_abort_request_encode(b, 1), 8);
	ck_assert_int_eq(fcgi_stdin_complete(&p, b, 8, 1), 1);
	ck_assert_int_eq(fcgi_stdin_complete(&p, b, 7, 1), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fcgi");
	TCase *tc = tcase_create("fcgi");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, header_roundtrip);
	tcase_add_test(tc, padding);
	tcase_add_test(tc, foreign_padding);
	tcase_add_test(tc, nv_edges);
	tcase_add_test(tc, nv_length_bytes);
	tcase_add_test(tc, nv_each);
	tcase_add_test(tc, split_everywhere);
	tcase_add_test(tc, idle_states);
	tcase_add_test(tc, empty_streams);
	tcase_add_test(tc, long_stream);
	tcase_add_test(tc, protocol_errors);
	tcase_add_test(tc, get_values);
	tcase_add_test(tc, fixed_records);
	tcase_add_test(tc, stdin_lookahead);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
