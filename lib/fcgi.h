/* fcgi.h - the FastCGI codec: records, name-value pairs and stream
 * reassembly (FastCGI Specification 1.0). Pure: no I/O, no logging; the
 * caller moves the bytes. Used by webd (client side) and appd (server).
 *
 * Writing: fcgi_record_encode() or, for data longer than one record,
 * fcgi_stream_encode(); fixed records with fcgi_begin_request_encode() and
 * friends. End a stream with an empty record (fcgi_record_encode with
 * len 0). Name-value pairs with fcgi_nv_encode().
 *
 * Reading: a struct fcgi_parser takes the bytes as they arrive, split
 * anywhere, and returns one event at a time:
 *
 *	struct fcgi_parser p;
 *	struct fcgi_event ev;
 *	fcgi_parser_init(&p);
 *	for (;;) {	// for each buffer read: buf, len; off = 0
 *		long n = fcgi_parse(&p, buf + off, len - off, &ev);
 *		if (n < 0) -> protocol error, p.err says why; close
 *		off += n;
 *		if (ev.kind == FCGI_EV_NONE) break;  // all consumed
 *		FCGI_EV_DATA: ev.data/ev.len, a piece of a record's content;
 *		FCGI_EV_RECORD: the record ev.type/ev.request_id ended
 *	}
 *
 * Keep calling (also with no bytes left) until FCGI_EV_NONE: the end of
 * a record whose last content byte came as FCGI_EV_DATA is reported by
 * the next call.
 *
 * A stream (PARAMS, STDIN, STDOUT, STDERR, DATA) ends with a record of
 * content_length 0. BEGIN_REQUEST, END_REQUEST and UNKNOWN_TYPE bodies
 * never come as FCGI_EV_DATA: FCGI_EV_RECORD carries them decoded.
 * PARAMS (and GET_VALUES) data is a byte stream: collect it, then walk the
 * pairs with fcgi_nv_each() (a pair may be split across records). */
#ifndef FOOBAR_FCGI_H
#define FOOBAR_FCGI_H

#include <stddef.h>
#include <stdint.h>

#define FCGI_VERSION_1 1
#define FCGI_HEADER_LEN 8
#define FCGI_MAX_CONTENT 65535
/* Content per record that fcgi_stream_encode() uses: a multiple of 8, so
 * full records need no padding. */
#define FCGI_STREAM_CHUNK 65528
/* Bytes of BEGIN_REQUEST, END_REQUEST, UNKNOWN_TYPE and ABORT records. */
#define FCGI_BEGIN_REQUEST_LEN 16
#define FCGI_END_REQUEST_LEN 16
#define FCGI_UNKNOWN_TYPE_LEN 16
#define FCGI_ABORT_REQUEST_LEN 8
/* The largest nv pair header: two 4-byte lengths. */
#define FCGI_NV_MAX_HEADER 8
/* Longest name or value a pair can carry (31 bits). */
#define FCGI_NV_MAX_LEN 0x7fffffffUL

enum fcgi_type {
	FCGI_BEGIN_REQUEST = 1,
	FCGI_ABORT_REQUEST = 2,
	FCGI_END_REQUEST = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6,
	FCGI_STDERR = 7,
	FCGI_DATA = 8,
	FCGI_GET_VALUES = 9,
	FCGI_GET_VALUES_RESULT = 10,
	FCGI_UNKNOWN_TYPE = 11
};

enum fcgi_role {
	FCGI_RESPONDER = 1,
	FCGI_AUTHORIZER = 2,
	FCGI_FILTER = 3
};

/* BEGIN_REQUEST flags */
#define FCGI_KEEP_CONN 1

enum fcgi_protocol_status {
	FCGI_REQUEST_COMPLETE = 0,
	FCGI_CANT_MPX_CONN = 1,
	FCGI_OVERLOADED = 2,
	FCGI_UNKNOWN_ROLE = 3
};

struct fcgi_header {
	unsigned version;
	unsigned type;
	unsigned request_id;
	unsigned content_length;
	unsigned padding_length;
};

/* Padding that aligns content of clen bytes to 8. Returns 0..7. */
unsigned fcgi_padding(size_t clen);

/* Writes the 8-byte header for a record of clen (<= 65535) content bytes
 * and plen padding bytes into out. */
void fcgi_header_encode(unsigned char *out, unsigned type,
    unsigned request_id, size_t clen, unsigned plen);

/* Reads an 8-byte header. Returns 0, or -1 with *err set when the version
 * is not 1. */
int fcgi_header_decode(const unsigned char *in, struct fcgi_header *h,
    const char **err);

/* Bytes that one record with len content bytes takes (header, content,
 * padding to 8). */
size_t fcgi_record_size(size_t len);

/* Writes one record (header, len <= 65535 bytes of data, zero padding)
 * into out. Returns the bytes written, or 0 when len is too long or out
 * (outlen bytes) too small. len 0 writes the empty end-of-stream record. */
size_t fcgi_record_encode(unsigned char *out, size_t outlen, unsigned type,
    unsigned request_id, const void *data, size_t len);

/* Bytes that fcgi_stream_encode() needs for len bytes (0 for len 0: the
 * end-of-stream record is separate). */
size_t fcgi_stream_size(size_t len);

/* Writes len bytes of stream data as records of up to FCGI_STREAM_CHUNK
 * bytes. Returns the bytes written, or 0 when out is too small. Writes
 * nothing for len 0. */
size_t fcgi_stream_encode(unsigned char *out, size_t outlen, unsigned type,
    unsigned request_id, const void *data, size_t len);

/* Fixed records; each returns the bytes written (the *_LEN above). */
size_t fcgi_begin_request_encode(unsigned char *out, unsigned request_id,
    unsigned role, unsigned flags);
size_t fcgi_end_request_encode(unsigned char *out, unsigned request_id,
    uint32_t app_status, unsigned protocol_status);
size_t fcgi_unknown_type_encode(unsigned char *out, unsigned type);
size_t fcgi_abort_request_encode(unsigned char *out, unsigned request_id);

/* Bytes a name-value pair takes: 1 or 4 bytes per length, then both. */
size_t fcgi_nv_size(size_t nlen, size_t vlen);

/* Writes a name-value pair. Returns the bytes written, or 0 when out is
 * too small or a length exceeds FCGI_NV_MAX_LEN. */
size_t fcgi_nv_encode(unsigned char *out, size_t outlen, const void *name,
    size_t nlen, const void *value, size_t vlen);

struct fcgi_nv {
	const unsigned char *name; /* not NUL-terminated */
	size_t nlen;
	const unsigned char *value;
	size_t vlen;
};

/* Reads one pair from in. Returns the bytes it takes (> 0), 0 when in
 * holds only part of a pair. */
size_t fcgi_nv_decode(const unsigned char *in, size_t len, struct fcgi_nv *nv);

/* Calls fn for each pair in the complete pair stream in (len bytes).
 * Returns 0, -1 with *err when the stream ends inside a pair, or fn's
 * first non-zero return value. */
int fcgi_nv_each(const unsigned char *in, size_t len,
    int (*fn)(void *arg, const struct fcgi_nv *nv), void *arg,
    const char **err);

enum fcgi_event_kind {
	FCGI_EV_NONE = 0, /* every byte given was consumed; need more */
	FCGI_EV_DATA,	  /* data/len: a piece of the record's content */
	FCGI_EV_RECORD	  /* the record ended (after its last content byte) */
};

struct fcgi_event {
	enum fcgi_event_kind kind;
	unsigned type;
	unsigned request_id;
	const unsigned char *data; /* FCGI_EV_DATA: points into the input */
	size_t len;		   /* FCGI_EV_DATA */
	size_t content_length;	   /* FCGI_EV_RECORD: 0 ends a stream */
	/* FCGI_EV_RECORD of BEGIN_REQUEST */
	unsigned role, flags;
	/* FCGI_EV_RECORD of END_REQUEST */
	uint32_t app_status;
	unsigned protocol_status;
	/* FCGI_EV_RECORD of UNKNOWN_TYPE */
	unsigned unknown_type;
};

struct fcgi_parser {
	unsigned char hdr[FCGI_HEADER_LEN];
	size_t hdr_have;	 /* header bytes collected */
	int in_content;		 /* header read, content pending */
	struct fcgi_header cur;	 /* the record being read */
	size_t content_left;
	size_t padding_left;	 /* skipped before the next header */
	unsigned char body[8];	 /* fixed-size bodies */
	size_t body_have;
	const char *err;	 /* why fcgi_parse() returned -1 */
};

/* Resets p to expect a record header. */
void fcgi_parser_init(struct fcgi_parser *p);

/* Consumes bytes of in (len bytes) up to the next event, stored in ev.
 * Returns the bytes consumed (may be 0 with an event pending from the
 * previous call), or -1 with p->err on a protocol error (bad version,
 * short fixed body). Call again with the rest until ev->kind is
 * FCGI_EV_NONE, which means every byte was consumed. */
long fcgi_parse(struct fcgi_parser *p, const unsigned char *in, size_t len,
    struct fcgi_event *ev);

/* 1 when p stands between records (a clean place for the peer to close),
 * 0 inside a header or a record. Trailing padding counts as between. */
int fcgi_parser_idle(const struct fcgi_parser *p);

/* Looks ahead, without consuming, for the end of request id's STDIN
 * stream in in (len bytes, from where p stands between records): 1 when
 * its empty STDIN record is there (the whole body has come) or an
 * ABORT_REQUEST for it, 0 when neither yet, -1 when p is inside a record
 * and cannot tell. */
int fcgi_stdin_complete(const struct fcgi_parser *p, const unsigned char *in,
    size_t len, unsigned id);

/* Answers a GET_VALUES record's content (len bytes of pairs): writes a
 * whole GET_VALUES_RESULT record with the values of the names it knows
 * (FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS) into out. Returns the
 * bytes written, or 0 when out is too small or the pairs are malformed. */
size_t fcgi_get_values_result(unsigned char *out, size_t outlen,
    const unsigned char *in, size_t len, unsigned max_conns,
    unsigned max_reqs, int mpxs_conns);

#endif
