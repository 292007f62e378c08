/* fcgi.c - the FastCGI codec; wire formats byte by byte. */
#include "fcgi.h"

#include <stdio.h>
#include <string.h>

unsigned
fcgi_padding(size_t clen)
{
	return (unsigned)((8 - (clen & 7)) & 7);
}

void
fcgi_header_encode(unsigned char *out, unsigned type, unsigned request_id,
    size_t clen, unsigned plen)
{
	out[0] = FCGI_VERSION_1;
	out[1] = type & 0xff;
	out[2] = (request_id >> 8) & 0xff;
	out[3] = request_id & 0xff;
	out[4] = (clen >> 8) & 0xff;
	out[5] = clen & 0xff;
	out[6] = plen & 0xff;
	out[7] = 0;
}

int
fcgi_header_decode(const unsigned char *in, struct fcgi_header *h,
    const char **err)
{
	h->version = in[0];
	h->type = in[1];
	h->request_id = (unsigned)in[2] << 8 | in[3];
	h->content_length = (unsigned)in[4] << 8 | in[5];
	h->padding_length = in[6];
	if (h->version != FCGI_VERSION_1) {
		*err = "unsupported FastCGI version";
		return -1;
	}
	return 0;
}

size_t
fcgi_record_size(size_t len)
{
	return FCGI_HEADER_LEN + len + fcgi_padding(len);
}

size_t
fcgi_record_encode(unsigned char *out, size_t outlen, unsigned type,
    unsigned request_id, const void *data, size_t len)
{
	unsigned plen = fcgi_padding(len);

	if (len > FCGI_MAX_CONTENT || outlen < fcgi_record_size(len))
		return 0;
	fcgi_header_encode(out, type, request_id, len, plen);
	if (len > 0)
		memcpy(out + FCGI_HEADER_LEN, data, len);
	memset(out + FCGI_HEADER_LEN + len, 0, plen);
	return FCGI_HEADER_LEN + len + plen;
}

size_t
fcgi_stream_size(size_t len)
{
	size_t full = len / FCGI_STREAM_CHUNK, rest = len % FCGI_STREAM_CHUNK;

	return full * (FCGI_HEADER_LEN + FCGI_STREAM_CHUNK) +
	    (rest ? fcgi_record_size(rest) : 0);
}

size_t
fcgi_stream_encode(unsigned char *out, size_t outlen, unsigned type,
    unsigned request_id, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t off = 0, n;

	if (outlen < fcgi_stream_size(len))
		return 0;
	while (len > 0) {
		n = len < FCGI_STREAM_CHUNK ? len : FCGI_STREAM_CHUNK;
		off += fcgi_record_encode(out + off, outlen - off, type,
		    request_id, p, n);
		p += n;
		len -= n;
	}
	return off;
}

size_t
fcgi_begin_request_encode(unsigned char *out, unsigned request_id,
    unsigned role, unsigned flags)
{
	fcgi_header_encode(out, FCGI_BEGIN_REQUEST, request_id, 8, 0);
	out[8] = (role >> 8) & 0xff;
	out[9] = role & 0xff;
	out[10] = flags & 0xff;
	memset(out + 11, 0, 5);
	return FCGI_BEGIN_REQUEST_LEN;
}

size_t
fcgi_end_request_encode(unsigned char *out, unsigned request_id,
    uint32_t app_status, unsigned protocol_status)
{
	fcgi_header_encode(out, FCGI_END_REQUEST, request_id, 8, 0);
	out[8] = (app_status >> 24) & 0xff;
	out[9] = (app_status >> 16) & 0xff;
	out[10] = (app_status >> 8) & 0xff;
	out[11] = app_status & 0xff;
	out[12] = protocol_status & 0xff;
	memset(out + 13, 0, 3);
	return FCGI_END_REQUEST_LEN;
}

size_t
fcgi_unknown_type_encode(unsigned char *out, unsigned type)
{
	fcgi_header_encode(out, FCGI_UNKNOWN_TYPE, 0, 8, 0);
	out[8] = type & 0xff;
	memset(out + 9, 0, 7);
	return FCGI_UNKNOWN_TYPE_LEN;
}

size_t
fcgi_abort_request_encode(unsigned char *out, unsigned request_id)
{
	fcgi_header_encode(out, FCGI_ABORT_REQUEST, request_id, 0, 0);
	return FCGI_ABORT_REQUEST_LEN;
}

static size_t
fcgi_nv_len_size(size_t len)
{
	return len > 127 ? 4 : 1;
}

static size_t
fcgi_nv_len_encode(unsigned char *out, size_t len)
{
	if (len <= 127) {
		out[0] = len & 0x7f;
		return 1;
	}
	out[0] = 0x80 | ((len >> 24) & 0x7f);
	out[1] = (len >> 16) & 0xff;
	out[2] = (len >> 8) & 0xff;
	out[3] = len & 0xff;
	return 4;
}

size_t
fcgi_nv_size(size_t nlen, size_t vlen)
{
	return fcgi_nv_len_size(nlen) + fcgi_nv_len_size(vlen) + nlen + vlen;
}

size_t
fcgi_nv_encode(unsigned char *out, size_t outlen, const void *name,
    size_t nlen, const void *value, size_t vlen)
{
	size_t off;

	if (nlen > FCGI_NV_MAX_LEN || vlen > FCGI_NV_MAX_LEN ||
	    outlen < fcgi_nv_size(nlen, vlen))
		return 0;
	off = fcgi_nv_len_encode(out, nlen);
	off += fcgi_nv_len_encode(out + off, vlen);
	if (nlen > 0)
		memcpy(out + off, name, nlen);
	off += nlen;
	if (vlen > 0)
		memcpy(out + off, value, vlen);
	return off + vlen;
}

/* Reads one length at in[*off]. Returns 0, or -1 when in ends first. */
static int
fcgi_nv_len_decode(const unsigned char *in, size_t len, size_t *off,
    size_t *out)
{
	if (*off >= len)
		return -1;
	if ((in[*off] & 0x80) == 0) {
		*out = in[(*off)++];
		return 0;
	}
	if (len - *off < 4)
		return -1;
	*out = (size_t)(in[*off] & 0x7f) << 24 | (size_t)in[*off + 1] << 16 |
	    (size_t)in[*off + 2] << 8 | in[*off + 3];
	*off += 4;
	return 0;
}

size_t
fcgi_nv_decode(const unsigned char *in, size_t len, struct fcgi_nv *nv)
{
	size_t off = 0, nlen, vlen;

	if (fcgi_nv_len_decode(in, len, &off, &nlen) == -1 ||
	    fcgi_nv_len_decode(in, len, &off, &vlen) == -1)
		return 0;
	if (len - off < nlen || len - off - nlen < vlen)
		return 0;
	nv->name = in + off;
	nv->nlen = nlen;
	nv->value = in + off + nlen;
	nv->vlen = vlen;
	return off + nlen + vlen;
}

int
fcgi_nv_each(const unsigned char *in, size_t len,
    int (*fn)(void *arg, const struct fcgi_nv *nv), void *arg,
    const char **err)
{
	struct fcgi_nv nv;
	size_t off = 0, n;
	int rc;

	while (off < len) {
		n = fcgi_nv_decode(in + off, len - off, &nv);
		if (n == 0) {
			*err = "truncated name-value pair";
			return -1;
		}
		if ((rc = fn(arg, &nv)) != 0)
			return rc;
		off += n;
	}
	return 0;
}

void
fcgi_parser_init(struct fcgi_parser *p)
{
	memset(p, 0, sizeof(*p));
}

int
fcgi_parser_idle(const struct fcgi_parser *p)
{
	return p->hdr_have == 0 && !p->in_content;
}

int
fcgi_stdin_complete(const struct fcgi_parser *p, const unsigned char *in,
    size_t len, unsigned id)
{
	size_t off = p->padding_left;

	if (!fcgi_parser_idle(p))
		return -1;
	while (off <= len && len - off >= FCGI_HEADER_LEN) {
		const unsigned char *h = in + off;
		unsigned rid = (unsigned)h[2] << 8 | h[3];
		size_t clen = (size_t)h[4] << 8 | h[5];

		if (rid == id && ((h[1] == FCGI_STDIN && clen == 0) ||
		    h[1] == FCGI_ABORT_REQUEST))
			return 1;
		off += FCGI_HEADER_LEN + clen + h[6];
	}
	return 0;
}

/* Types whose body the parser decodes itself. */
static int
fcgi_fixed_body(unsigned type)
{
	return type == FCGI_BEGIN_REQUEST || type == FCGI_END_REQUEST ||
	    type == FCGI_UNKNOWN_TYPE;
}

static void
fcgi_event_record(struct fcgi_parser *p, struct fcgi_event *ev)
{
	const unsigned char *b = p->body;

	ev->kind = FCGI_EV_RECORD;
	ev->content_length = p->cur.content_length;
	switch (p->cur.type) {
	case FCGI_BEGIN_REQUEST:
		ev->role = (unsigned)b[0] << 8 | b[1];
		ev->flags = b[2];
		break;
	case FCGI_END_REQUEST:
		ev->app_status = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
		ev->protocol_status = b[4];
		break;
	case FCGI_UNKNOWN_TYPE:
		ev->unknown_type = b[0];
		break;
	}
	p->in_content = 0;
	p->padding_left = p->cur.padding_length;
}

/* The header is complete: check it and start its content. */
static int
fcgi_parse_header_done(struct fcgi_parser *p)
{
	p->hdr_have = 0;
	if (fcgi_header_decode(p->hdr, &p->cur, &p->err) == -1)
		return -1;
	if (fcgi_fixed_body(p->cur.type) && p->cur.content_length < 8) {
		p->err = "short BEGIN_REQUEST/END_REQUEST/UNKNOWN_TYPE body";
		return -1;
	}
	p->in_content = 1;
	p->content_left = p->cur.content_length;
	p->body_have = 0;
	return 0;
}

/* Content bytes of the current record. */
static size_t
fcgi_parse_content(struct fcgi_parser *p, const unsigned char *in,
    size_t len, struct fcgi_event *ev)
{
	size_t n = len < p->content_left ? len : p->content_left;
	size_t take;

	if (fcgi_fixed_body(p->cur.type)) {
		/* Keep the first 8 bytes; skip any excess. */
		take = 8 - p->body_have;
		if (take > n)
			take = n;
		memcpy(p->body + p->body_have, in, take);
		p->body_have += take;
	} else if (n > 0) {
		ev->kind = FCGI_EV_DATA;
		ev->data = in;
		ev->len = n;
	}
	p->content_left -= n;
	if (p->content_left == 0 && ev->kind == FCGI_EV_NONE)
		fcgi_event_record(p, ev);
	return n;
}

long
fcgi_parse(struct fcgi_parser *p, const unsigned char *in, size_t len,
    struct fcgi_event *ev)
{
	size_t off = 0, n;

	memset(ev, 0, sizeof(*ev));
	ev->kind = FCGI_EV_NONE;
	while (off < len || (p->in_content && p->content_left == 0)) {
		if (p->in_content) {
			ev->type = p->cur.type;
			ev->request_id = p->cur.request_id;
			off += fcgi_parse_content(p, in + off, len - off, ev);
			return (long)off;
		}
		if (p->padding_left > 0) {
			n = len - off < p->padding_left ? len - off :
			    p->padding_left;
			p->padding_left -= n;
			off += n;
			continue;
		}
		n = FCGI_HEADER_LEN - p->hdr_have;
		if (n > len - off)
			n = len - off;
		memcpy(p->hdr + p->hdr_have, in + off, n);
		p->hdr_have += n;
		off += n;
		if (p->hdr_have == FCGI_HEADER_LEN &&
		    fcgi_parse_header_done(p) == -1)
			return -1;
	}
	return (long)off;
}

struct fcgi_gv {
	unsigned char *out;
	size_t outlen, off;
	unsigned max_conns, max_reqs;
	int mpxs;
};

static int
fcgi_gv_one(void *arg, const struct fcgi_nv *nv)
{
	struct fcgi_gv *g = arg;
	char val[16];
	size_t n;

	if (nv->nlen == 14 && memcmp(nv->name, "FCGI_MAX_CONNS", 14) == 0)
		snprintf(val, sizeof(val), "%u", g->max_conns);
	else if (nv->nlen == 13 && memcmp(nv->name, "FCGI_MAX_REQS", 13) == 0)
		snprintf(val, sizeof(val), "%u", g->max_reqs);
	else if (nv->nlen == 15 &&
	    memcmp(nv->name, "FCGI_MPXS_CONNS", 15) == 0)
		snprintf(val, sizeof(val), "%d", g->mpxs ? 1 : 0);
	else
		return 0; /* unknown names are left out */
	n = fcgi_nv_encode(g->out + g->off, g->outlen - g->off, nv->name,
	    nv->nlen, val, strlen(val));
	if (n == 0)
		return -1;
	g->off += n;
	return 0;
}

size_t
fcgi_get_values_result(unsigned char *out, size_t outlen,
    const unsigned char *in, size_t len, unsigned max_conns,
    unsigned max_reqs, int mpxs_conns)
{
	struct fcgi_gv g = { out, outlen, FCGI_HEADER_LEN, max_conns,
		max_reqs, mpxs_conns };
	const char *err;
	unsigned plen;

	if (outlen < FCGI_HEADER_LEN ||
	    fcgi_nv_each(in, len, fcgi_gv_one, &g, &err) != 0)
		return 0;
	plen = fcgi_padding(g.off - FCGI_HEADER_LEN);
	if (g.off + plen > outlen || g.off - FCGI_HEADER_LEN > FCGI_MAX_CONTENT)
		return 0;
	fcgi_header_encode(out, FCGI_GET_VALUES_RESULT, 0,
	    g.off - FCGI_HEADER_LEN, plen);
	memset(out + g.off, 0, plen);
	return g.off + plen;
}
