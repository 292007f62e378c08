/* zone.c - checks a dns_config and renders its zone in RFC 1035 master
 * format. Pure: no I/O, no logging, no exit. */
#include "dns.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_BUF 512		/* a name in text, with room to spare */
#define NAME_WIRE_MAX 255	/* RFC 1035 §2.3.4 */
#define LABEL_MAX 63
#define RECORDS_MAX 10000
#define TXT_STRING_MAX 255	/* one <character-string> */
#define RDATA_WIRE_MAX 65535

/* name_parse flags */
#define NAME_OWNER 0x1		/* must be inside the zone */
#define NAME_TARGET 0x2		/* names with a dot must be absolute */
#define NAME_UNDERSCORE 0x4	/* "_label"s allowed (_dmarc, _domainkey) */
#define NAME_ROOT 0x8		/* "." allowed (null MX) */

enum rr_type { RR_A, RR_AAAA, RR_NS, RR_CNAME, RR_MX, RR_TXT, RR_CAA };

static const char *const rr_type_names[] = {
	"A", "AAAA", "NS", "CNAME", "MX", "TXT", "CAA"
};

struct rr {
	char owner[NAME_BUF];	/* absolute, lower case, trailing dot */
	long long ttl;		/* 0: the zone's $TTL */
	enum rr_type type;
	char *rdata;		/* presentation form */
	char target[NAME_BUF];	/* NS, CNAME, MX: absolute; else "" */
	const char *key;	/* blame: the [zone] key, or NULL */
	size_t index;
	char desc[160];		/* what the user wrote, for messages */
};

struct zone {
	const struct dns_config *cfg;
	char origin[NAME_BUF];	/* "foobar.com." */
	char ns[NAME_BUF];
	char rname[NAME_BUF];
	long long ttl;
	struct rr *rr;
	size_t n, cap;
	struct dns_error *err;
};

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

/* snprintf that may truncate: every message and name here is bounded
 * by design, a cut message is fine. */
static void __attribute__((format(printf, 3, 4)))
fmt(char *dst, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(dst, len, f, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *p;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL,
		    b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->p != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		cap = b->cap ? b->cap : 1024;
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

static void
buf_putc(struct buf *b, char c)
{
	buf_printf(b, "%c", c);
}

static int __attribute__((format(printf, 4, 5)))
zone_fail(struct zone *z, const char *key, size_t index, const char *fmt,
    ...)
{
	va_list ap;

	z->err->key = key;
	z->err->index = index;
	z->err->runtime = 0;
	va_start(ap, fmt);
	vsnprintf(z->err->msg, sizeof(z->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Copies s into dst for a message: quoted, escaped, shortened. */
static void
zone_quote(char *dst, size_t dstlen, const char *s)
{
	size_t o = 0, i;

	dst[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 8 < dstlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= 72) {
			o += (size_t)snprintf(dst + o, dstlen - o, "...");
			break;
		}
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(dst + o, dstlen - o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x",
			    c);
		else
			dst[o++] = (char)c;
	}
	dst[o++] = '"';
	dst[o] = '\0';
}

static int
name_in_zone(const struct zone *z, const char *name)
{
	size_t n = strlen(name), o = strlen(z->origin);

	if (n == o)
		return strcmp(name, z->origin) == 0;
	return n > o && name[n - o - 1] == '.' &&
	    strcmp(name + n - o, z->origin) == 0;
}

/* Checks one label of len bytes. Returns 0, or -1 with a message. */
static int
label_check(const char *l, size_t len, int flags, char *err, size_t errlen)
{
	char lab[LABEL_MAX + 8];
	size_t i, start = 0;

	fmt(lab, sizeof(lab), "%.*s%s", len > LABEL_MAX ? 40 : (int)len,
	    l, len > LABEL_MAX ? "..." : "");
	for (i = 0; lab[i] != '\0'; i++)
		if ((unsigned char)lab[i] < 0x20 ||
		    (unsigned char)lab[i] >= 0x7f)
			lab[i] = '?';
	if (len == 0) {
		fmt(err, errlen, "empty label");
		return -1;
	}
	if (len > LABEL_MAX) {
		fmt(err, errlen, "label \"%s\" is longer than 63 bytes "
		    "(%zu)", lab, len);
		return -1;
	}
	if (l[0] == '_' && (flags & NAME_UNDERSCORE) && len > 1)
		start = 1;
	for (i = start; i < len; i++) {
		unsigned char c = (unsigned char)l[i];

		if (!isascii(c) || !(isalnum(c) || c == '-')) {
			if (c == '_' && i == 0)
				fmt(err, errlen, "label \"%s\": a label "
				    "starting with \"_\" is allowed only in "
				    "the name of a TXT or CNAME record", lab);
			else if (c >= 0x21 && c < 0x7f)
				fmt(err, errlen, "label \"%s\" has \"%c\":"
				    " only letters, digits and hyphens are "
				    "allowed (LDH)", lab, c);
			else
				fmt(err, errlen, "label has byte 0x%02x:"
				    " only letters, digits and hyphens are "
				    "allowed (LDH)", c);
			return -1;
		}
	}
	if (l[start] == '-' || l[len - 1] == '-') {
		fmt(err, errlen, "label \"%s\" starts or ends with a "
		    "hyphen", lab);
		return -1;
	}
	return 0;
}

/* Checks the labels of an absolute name and lower-cases it. Returns 0,
 * or -1 with a message. */
static int
name_check(char *name, int flags, char *err, size_t errlen)
{
	size_t wire = 1, len;
	char *l = name, *dot;

	if (strcmp(name, ".") == 0) {
		fmt(err, errlen, "the root name \".\" is not allowed "
		    "here");
		return -1;
	}
	while (*l != '\0') {
		dot = strchr(l, '.');
		len = (size_t)(dot - l);
		if (label_check(l, len, flags, err, errlen) == -1)
			return -1;
		wire += len + 1;
		l = dot + 1;
	}
	if (wire > NAME_WIRE_MAX) {
		fmt(err, errlen, "name is longer than 255 bytes (%zu)",
		    wire);
		return -1;
	}
	for (l = name; *l != '\0'; l++)
		*l = (char)tolower((unsigned char)*l);
	return 0;
}

/* Reads a name as a zone file does: "@" is the origin, a name without a
 * final dot is relative to it. out gets the absolute lower-case name.
 * Returns 0, or -1 with a message. */
static int
name_parse(const struct zone *z, const char *s, int flags, char *out,
    char *err, size_t errlen)
{
	char bare[NAME_BUF];
	size_t len = strlen(s), olen = strlen(z->origin) - 1;
	char why[200];

	if (strcmp(s, "@") == 0) {
		fmt(out, NAME_BUF, "%s", z->origin);
		return 0;
	}
	if (strcmp(s, ".") == 0 && (flags & NAME_ROOT)) {
		fmt(out, NAME_BUF, ".");
		return 0;
	}
	if (len == 0 || len >= NAME_BUF / 2) {
		fmt(err, errlen, "name \"%.40s%s\" is %s", s,
		    len > 40 ? "..." : "", len ? "longer than 255 bytes" :
		    "empty");
		return -1;
	}
	if (s[len - 1] == '.') {
		fmt(out, NAME_BUF, "%s", s);
	} else {
		if ((flags & NAME_TARGET) && strchr(s, '.') != NULL) {
			fmt(err, errlen, "\"%s\" has a dot but does not "
			    "end with one: write the absolute name \"%s.\", "
			    "or one label for a name in the zone", s, s);
			return -1;
		}
		if ((len == olen || (len > olen && s[len - olen - 1] == '.')) &&
		    strncasecmp(s + len - olen, z->origin, olen) == 0) {
			fmt(err, errlen, "\"%s\" without a final dot is "
			    "relative to the zone (it means %s.%s): write "
			    "\"%s.\"", s, s, z->origin, s);
			return -1;
		}
		fmt(out, NAME_BUF, "%s.%s", s, z->origin);
	}
	fmt(bare, sizeof(bare), "%s", out);
	if (name_check(bare, flags, why, sizeof(why)) == -1) {
		fmt(err, errlen, "name \"%.60s%s\": %s", out,
		    strlen(out) > 60 ? "..." : "", why);
		return -1;
	}
	fmt(out, NAME_BUF, "%s", bare);
	if ((flags & NAME_OWNER) && !name_in_zone(z, out)) {
		fmt(err, errlen, "name %s is not in the zone %s", out,
		    z->origin);
		return -1;
	}
	return 0;
}

/* Appends the character-string s (len bytes) as quoted text, split into
 * pieces of at most 255 bytes. */
static void
txt_render(struct buf *b, const unsigned char *s, size_t len)
{
	size_t i;

	do {
		size_t n = len < TXT_STRING_MAX ? len : TXT_STRING_MAX;

		buf_putc(b, '"');
		for (i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				buf_printf(b, "\\%c", s[i]);
			else if (s[i] < 0x20 || s[i] >= 0x7f)
				buf_printf(b, "\\%03u", s[i]);
			else
				buf_putc(b, (char)s[i]);
		}
		buf_putc(b, '"');
		s += n;
		len -= n;
		if (len > 0)
			buf_putc(b, ' ');
	} while (len > 0);
}

/* Reads one quoted string at *pp (escapes \X and \DDD) into out. Returns
 * its length, or -1 with a message. */
static long
qstring_parse(const char **pp, unsigned char *out, size_t outcap, char *err,
    size_t errlen)
{
	const char *p = *pp + 1;
	size_t n = 0;

	for (;;) {
		unsigned c = (unsigned char)*p;

		if (c == '\0') {
			fmt(err, errlen, "unterminated quoted string");
			return -1;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			p++;
			if (isdigit((unsigned char)p[0]) &&
			    isdigit((unsigned char)p[1]) &&
			    isdigit((unsigned char)p[2])) {
				c = (unsigned)(p[0] - '0') * 100 +
				    (unsigned)(p[1] - '0') * 10 +
				    (unsigned)(p[2] - '0');
				if (c > 255) {
					fmt(err, errlen, "escape \\%.3s "
					    "is over 255", p);
					return -1;
				}
				p += 2;
			} else if (*p == '\0') {
				fmt(err, errlen, "unterminated quoted "
				    "string");
				return -1;
			} else {
				c = (unsigned char)*p;
			}
		}
		if (n == outcap) {
			fmt(err, errlen, "text is too long");
			return -1;
		}
		out[n++] = (unsigned char)c;
		p++;
	}
	*pp = p + 1;
	return (long)n;
}

static int txt_parse_into(const char *, unsigned char *, struct buf *,
    char *, size_t);

/* TXT: quoted strings, or one unquoted text. */
static int
txt_parse(const char *rdata, struct buf *b, char *err, size_t errlen)
{
	unsigned char *s = malloc(RDATA_WIRE_MAX);
	int rc = txt_parse_into(rdata, s, b, err, errlen);

	free(s);
	return rc;
}

static int
txt_parse_into(const char *rdata, unsigned char *s, struct buf *b, char *err,
    size_t errlen)
{
	const char *p = rdata;
	size_t wire = 0;
	long n;

	if (s == NULL) {
		fmt(err, errlen, "out of memory");
		return -1;
	}
	if (*p != '"') {
		if (strpbrk(p, "\"\\") != NULL) {
			fmt(err, errlen, "quote the text: \"...\"");
			return -1;
		}
		n = (long)strlen(p);
		if (n == 0) {
			fmt(err, errlen, "TXT needs text, \"\" for none");
			return -1;
		}
		memcpy(s, p, (size_t)n);
		wire = (size_t)n + ((size_t)n + TXT_STRING_MAX - 1) /
		    TXT_STRING_MAX;
		if (wire > RDATA_WIRE_MAX) {
			fmt(err, errlen, "TXT data over 65535 bytes");
			return -1;
		}
		txt_render(b, s, (size_t)n);
		return 0;
	}
	while (*p == '"') {
		n = qstring_parse(&p, s, RDATA_WIRE_MAX, err, errlen);
		if (n < 0)
			return -1;
		wire += (size_t)n + ((size_t)n + TXT_STRING_MAX - 1) /
		    TXT_STRING_MAX + (n == 0);
		if (wire > RDATA_WIRE_MAX) {
			fmt(err, errlen, "TXT data over 65535 bytes");
			return -1;
		}
		if (b->len > 0)
			buf_putc(b, ' ');
		txt_render(b, s, (size_t)n);
		while (*p == ' ' || *p == '\t')
			p++;
	}
	if (*p != '\0') {
		fmt(err, errlen, "unexpected text after a quoted string: "
		    "%.20s", p);
		return -1;
	}
	return 0;
}

/* The issuer domain and parameters of a CAA issue/issuewild value
 * (RFC 8659 §4.2). */
static int
caa_issue_check(const char *v, char *err, size_t errlen)
{
	char dom[NAME_BUF], why[200];
	const char *semi = strchr(v, ';'), *p;
	size_t len = semi ? (size_t)(semi - v) : strlen(v);

	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	if (len > 0) {
		if (len >= sizeof(dom) / 2) {
			fmt(err, errlen, "CAA issuer domain too long");
			return -1;
		}
		fmt(dom, sizeof(dom), "%.*s.", (int)len, v);
		if (name_check(dom, 0, why, sizeof(why)) == -1) {
			fmt(err, errlen, "CAA issuer \"%.*s\": %s",
			    (int)len, v, why);
			return -1;
		}
	}
	for (p = semi; p != NULL; p = strchr(p + 1, ';')) {
		const char *q = p + 1;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0' || *q == ';')
			continue;
		while (isalnum((unsigned char)*q))
			q++;
		if (*q != '=' || q == p + 1) {
			fmt(err, errlen, "CAA parameter \"%.30s\" is not "
			    "tag=value", p + 1);
			return -1;
		}
	}
	return 0;
}

/* CAA: FLAGS TAG VALUE (RFC 8659). */
static int
caa_parse(const char *rdata, struct buf *b, char *err, size_t errlen)
{
	unsigned char v[1024];
	char tag[32], *end;
	const char *p;
	long flags, n;
	size_t i, tl;

	errno = 0;
	flags = strtol(rdata, &end, 10);
	if (end == rdata || !isdigit((unsigned char)*rdata) || errno != 0 ||
	    (flags != 0 && flags != 128) || (*end != ' ' && *end != '\t')) {
		fmt(err, errlen, "CAA wants FLAGS TAG VALUE with FLAGS "
		    "0 or 128 (critical)");
		return -1;
	}
	p = end + strspn(end, " \t");
	tl = strcspn(p, " \t");
	if (tl == 0 || tl > 15) {
		fmt(err, errlen, "CAA tag must be 1 to 15 letters or "
		    "digits");
		return -1;
	}
	for (i = 0; i < tl; i++) {
		if (!isascii((unsigned char)p[i]) ||
		    !isalnum((unsigned char)p[i])) {
			fmt(err, errlen, "CAA tag \"%.*s\" has a character"
			    " other than letters and digits", (int)tl, p);
			return -1;
		}
		tag[i] = (char)tolower((unsigned char)p[i]);
	}
	tag[tl] = '\0';
	p += tl;
	p += strspn(p, " \t");
	if (*p == '"') {
		n = qstring_parse(&p, v, sizeof(v) - 1, err, errlen);
		if (n < 0)
			return -1;
		if (*p != '\0') {
			fmt(err, errlen, "CAA has text after the value");
			return -1;
		}
	} else {
		n = (long)strcspn(p, " \t");
		if (n == 0 || p[n] != '\0' || (size_t)n >= sizeof(v)) {
			fmt(err, errlen, "CAA value must be one word or "
			    "a quoted string");
			return -1;
		}
		memcpy(v, p, (size_t)n);
	}
	v[n] = '\0';
	if (memchr(v, '\0', (size_t)n) != NULL) {
		fmt(err, errlen, "CAA value has a NUL byte");
		return -1;
	}
	if (strcmp(tag, "issue") == 0 || strcmp(tag, "issuewild") == 0 ||
	    strcmp(tag, "issuemail") == 0) {
		if (caa_issue_check((char *)v, err, errlen) == -1)
			return -1;
	} else if (strcmp(tag, "iodef") == 0) {
		if (strncasecmp((char *)v, "mailto:", 7) != 0 &&
		    strncasecmp((char *)v, "http://", 7) != 0 &&
		    strncasecmp((char *)v, "https://", 8) != 0) {
			fmt(err, errlen, "CAA iodef must be a mailto:, "
			    "http: or https: URL");
			return -1;
		}
	} else if (flags == 128) {
		fmt(err, errlen, "CAA tag \"%s\" is unknown and marked "
		    "critical", tag);
		return -1;
	}
	buf_printf(b, "%ld %s ", flags, tag);
	txt_render(b, v, (size_t)n);
	return 0;
}

static int
address_parse(const char *s, int want, struct buf *b, int *family,
    char *err, size_t errlen)
{
	unsigned char addr[16];
	char out[INET6_ADDRSTRLEN];
	int af = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;

	if (inet_pton(af, s, addr) != 1) {
		fmt(err, errlen, "\"%.60s\" is not an %s address", s,
		    af == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	if (want != 0 && af != want) {
		fmt(err, errlen, "%s is an %s address: use %s", s,
		    af == AF_INET ? "IPv4" : "IPv6",
		    af == AF_INET ? "A" : "AAAA");
		return -1;
	}
	if ((af == AF_INET && memcmp(addr, "\0\0\0\0", 4) == 0) ||
	    (af == AF_INET6 && memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
	    16) == 0)) {
		fmt(err, errlen, "%s is the unspecified address", s);
		return -1;
	}
	inet_ntop(af, addr, out, sizeof(out));
	buf_printf(b, "%s", out);
	*family = af;
	return 0;
}

static struct rr *
zone_add(struct zone *z, const char *owner, enum rr_type type,
    const char *key, size_t index, const char *desc)
{
	struct rr *r;

	if (z->n == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 16;

		r = realloc(z->rr, cap * sizeof(*r));
		if (r == NULL)
			return NULL;
		z->rr = r;
		z->cap = cap;
	}
	r = &z->rr[z->n++];
	memset(r, 0, sizeof(*r));
	fmt(r->owner, sizeof(r->owner), "%s", owner);
	r->type = type;
	r->key = key;
	r->index = index;
	fmt(r->desc, sizeof(r->desc), "%s", desc);
	return r;
}

/* Adds an RR whose rdata is b (taken over). */
static int
zone_add_rdata(struct zone *z, const char *owner, enum rr_type type,
    struct buf *b, const char *target, const char *key, size_t index,
    const char *desc)
{
	struct rr *r;

	r = b->oom || b->p == NULL ? NULL :
	    zone_add(z, owner, type, key, index, desc);
	if (r == NULL)
		free(b->p);
	else
		r->rdata = b->p;
	memset(b, 0, sizeof(*b));
	if (r == NULL)
		return zone_fail(z, NULL, 0, "out of memory");
	if (target != NULL)
		fmt(r->target, sizeof(r->target), "%s", target);
	return 0;
}

static int
zone_domain(struct zone *z)
{
	const char *d = z->cfg->domain;
	char why[200], q[96];
	size_t len;

	if (d == NULL || *d == '\0')
		return zone_fail(z, d ? "domain" : NULL, 0, "no domain: set "
		    "domain = NAME in [zone], or --domain");
	len = strlen(d);
	zone_quote(q, sizeof(q), d);
	if (len >= NAME_BUF / 2)
		return zone_fail(z, "domain", 0, "domain %s: name is longer "
		    "than 255 bytes", q);
	fmt(z->origin, sizeof(z->origin), "%s%s", d,
	    d[len - 1] == '.' ? "" : ".");
	if (name_check(z->origin, 0, why, sizeof(why)) == -1)
		return zone_fail(z, "domain", 0, "domain %s: %s", q, why);
	return 0;
}

/* nameserver = (absolute, final dot optional). */
static int
zone_nameserver(struct zone *z)
{
	const struct dns_config *c = z->cfg;
	char why[200], q[96];

	if (c->nameserver == NULL) {
		fmt(z->ns, sizeof(z->ns), "ns1.%s", z->origin);
		if (name_check(z->ns, 0, why, sizeof(why)) == -1)
			return zone_fail(z, "domain", 0, "the default "
			    "nameserver ns1.%s: %s", z->origin, why);
	} else {
		zone_quote(q, sizeof(q), c->nameserver);
		if (strlen(c->nameserver) >= NAME_BUF / 2 ||
		    *c->nameserver == '\0')
			return zone_fail(z, "nameserver", 0, "nameserver %s: "
			    "not a host name", q);
		fmt(z->ns, sizeof(z->ns), "%s.", c->nameserver);
		if (c->nameserver[strlen(c->nameserver) - 1] == '.')
			z->ns[strlen(z->ns) - 1] = '\0';
		if (name_check(z->ns, 0, why, sizeof(why)) == -1)
			return zone_fail(z, "nameserver", 0, "nameserver %s: "
			    "%s", q, why);
	}
	return 0;
}

/* hostmaster = "user@example.com" or "user.example.com": the first
 * label is the mailbox, its dots escaped (RFC 1035 §8). */
static int
zone_hostmaster(struct zone *z)
{
	const struct dns_config *c = z->cfg;
	char why[200], q[96], local[NAME_BUF], *at;
	size_t i, o = 0;

	if (c->hostmaster == NULL) {
		fmt(z->rname, sizeof(z->rname), "hostmaster.%s",
		    z->origin);
		if (name_check(z->rname, 0, why, sizeof(why)) == -1)
			return zone_fail(z, "domain", 0, "the default "
			    "hostmaster hostmaster.%s: %s", z->origin, why);
		return 0;
	}
	zone_quote(q, sizeof(q), c->hostmaster);
	if (strlen(c->hostmaster) >= NAME_BUF / 4)
		return zone_fail(z, "hostmaster", 0, "hostmaster %s: too long",
		    q);
	at = strchr(c->hostmaster, '@');
	if (at == NULL)
		at = strchr(c->hostmaster, '.');
	if (at == NULL || at == c->hostmaster || at[1] == '\0')
		return zone_fail(z, "hostmaster", 0, "hostmaster %s: not a "
		    "mailbox (user@domain)", q);
	if (at - c->hostmaster > LABEL_MAX)
		return zone_fail(z, "hostmaster", 0, "hostmaster %s: the "
		    "mailbox is longer than 63 bytes", q);
	for (i = 0; c->hostmaster + i < at; i++) {
		char ch = c->hostmaster[i];

		if (!isascii((unsigned char)ch) ||
		    !(isalnum((unsigned char)ch) || strchr("-_+.", ch)))
			return zone_fail(z, "hostmaster", 0, "hostmaster %s: "
			    "the mailbox may have only letters, digits and "
			    "- _ + .", q);
		if (ch == '.')
			local[o++] = '\\';
		local[o++] = (char)tolower((unsigned char)ch);
	}
	local[o] = '\0';
	fmt(z->rname, sizeof(z->rname), "%s.", at + 1);
	if (at[strlen(at) - 1] == '.')
		z->rname[strlen(z->rname) - 1] = '\0';
	if (name_check(z->rname, 0, why, sizeof(why)) == -1)
		return zone_fail(z, "hostmaster", 0, "hostmaster %s: %s", q,
		    why);
	if ((size_t)(at - c->hostmaster) + strlen(z->rname) + 2 >
	    NAME_WIRE_MAX)
		return zone_fail(z, "hostmaster", 0, "hostmaster %s: name is "
		    "longer than 255 bytes", q);
	memmove(z->rname + o + 1, z->rname, strlen(z->rname) + 1);
	memcpy(z->rname, local, o);
	z->rname[o] = '.';
	return 0;
}

static int
zone_addresses(struct zone *z)
{
	const struct conf_list *a = &z->cfg->address;
	char why[200], q[96], desc[120];
	struct buf b = { 0 };
	size_t i;
	int af;

	if (a->n == 0)
		return zone_fail(z, NULL, 0, "no address: set address = IP "
		    "in [zone], or --address");
	for (i = 0; i < a->n; i++) {
		zone_quote(q, sizeof(q), a->v[i]);
		fmt(desc, sizeof(desc), "address %s", q);
		if (address_parse(a->v[i], 0, &b, &af, why, sizeof(why)) == -1)
			return zone_fail(z, "address", i, "%s: %s", desc, why);
		if (zone_add_rdata(z, z->origin, af == AF_INET ? RR_A : RR_AAAA,
		    &b, NULL, "address", i, desc) == -1)
			return -1;
	}
	return 0;
}

static enum rr_type
rr_type_parse(const char *s, size_t len, int *ok)
{
	size_t i;

	for (i = 0; i < sizeof(rr_type_names) / sizeof(*rr_type_names); i++)
		if (strlen(rr_type_names[i]) == len &&
		    strncasecmp(rr_type_names[i], s, len) == 0) {
			*ok = 1;
			return (enum rr_type)i;
		}
	*ok = 0;
	return RR_A;
}

/* Parses the RDATA of one record of type t at owner into b; target gets
 * the name it points to for NS, CNAME and MX. */
static int
rdata_parse(struct zone *z, enum rr_type t, const char *owner,
    const char *rdata, struct buf *b, char *target, char *err,
    size_t errlen)
{
	char tok[NAME_BUF], *end;
	long pref;
	int af;

	if (*rdata == '\0') {
		fmt(err, errlen, "%s record has no data",
		    rr_type_names[t]);
		return -1;
	}
	switch (t) {
	case RR_A:
	case RR_AAAA:
		return address_parse(rdata, t == RR_A ? AF_INET : AF_INET6, b,
		    &af, err, errlen);
	case RR_NS:
	case RR_CNAME:
		if (strcmp(owner, z->origin) == 0 && t == RR_CNAME) {
			fmt(err, errlen, "CNAME at the apex %s: the apex "
			    "has SOA and NS records, and a CNAME cannot share "
			    "its name with other data (RFC 1912 §2.4)",
			    z->origin);
			return -1;
		}
		if (strcmp(owner, z->origin) != 0 && t == RR_NS) {
			fmt(err, errlen, "NS records are allowed only at "
			    "the apex (@): foobar-dns does not delegate");
			return -1;
		}
		if (strpbrk(rdata, " \t") != NULL) {
			fmt(err, errlen, "%s wants one name",
			    rr_type_names[t]);
			return -1;
		}
		if (name_parse(z, rdata, NAME_TARGET | (t == RR_CNAME ?
		    NAME_UNDERSCORE : 0), target, err, errlen) == -1)
			return -1;
		buf_printf(b, "%s", target);
		return 0;
	case RR_MX:
		errno = 0;
		pref = strtol(rdata, &end, 10);
		if (!isdigit((unsigned char)*rdata) || errno != 0 ||
		    pref > 65535 || (*end != ' ' && *end != '\t')) {
			fmt(err, errlen, "MX wants PREFERENCE (0-65535) "
			    "and a mail server name");
			return -1;
		}
		end += strspn(end, " \t");
		if (strlen(end) >= sizeof(tok) / 2 ||
		    strpbrk(end, " \t") != NULL) {
			fmt(err, errlen, "MX wants one mail server name");
			return -1;
		}
		fmt(tok, sizeof(tok), "%s", end);
		if (name_parse(z, tok, NAME_TARGET | NAME_ROOT, target, err,
		    errlen) == -1)
			return -1;
		if (strcmp(target, ".") == 0 && pref != 0) {
			fmt(err, errlen, "a null MX (\".\") must have "
			    "preference 0 (RFC 7505)");
			return -1;
		}
		buf_printf(b, "%ld %s", pref, target);
		return 0;
	case RR_TXT:
		return txt_parse(rdata, b, err, errlen);
	case RR_CAA:
		return caa_parse(rdata, b, err, errlen);
	}
	return -1;
}

/* One "NAME [TTL] [IN] TYPE RDATA" line. */
static int
zone_record(struct zone *z, const char *text, size_t index)
{
	char q[120], desc[140], why[300], owner[NAME_BUF], target[NAME_BUF];
	char name[NAME_BUF];
	struct buf b = { 0 };
	const char *p = text, *tok;
	size_t len;
	long long ttl = 0;
	enum rr_type t;
	int ok, flags;

	zone_quote(q, sizeof(q), text);
	fmt(desc, sizeof(desc), "record %s", q);
	if (*text == '"')
		return zone_fail(z, "record", index, "%s: a line that starts "
		    "with a quote continues a TXT record, but there is none "
		    "before it", desc);
	len = strcspn(p, " \t");
	if (len >= sizeof(name) / 2)
		return zone_fail(z, "record", index, "%s: name is longer than "
		    "255 bytes", desc);
	fmt(name, sizeof(name), "%.*s", (int)len, p);
	p += len;
	p += strspn(p, " \t");
	tok = p;
	len = strcspn(p, " \t");
	if (len > 0 && isdigit((unsigned char)*tok)) {
		char *end;

		errno = 0;
		ttl = strtoll(tok, &end, 10);
		if (end != tok + len || errno != 0 || ttl < DNS_TTL_MIN ||
		    ttl > DNS_TTL_MAX)
			return zone_fail(z, "record", index, "%s: TTL %.*s is "
			    "out of range (%d to %d seconds)", desc,
			    (int)(len > 20 ? 20 : len), tok, DNS_TTL_MIN,
			    DNS_TTL_MAX);
		p += len;
		p += strspn(p, " \t");
		tok = p;
		len = strcspn(p, " \t");
	}
	if (len == 2 && strncasecmp(tok, "IN", 2) == 0) {
		p += len;
		p += strspn(p, " \t");
		tok = p;
		len = strcspn(p, " \t");
	}
	if (len == 0)
		return zone_fail(z, "record", index, "%s: want NAME [TTL] TYPE "
		    "DATA", desc);
	t = rr_type_parse(tok, len, &ok);
	if (!ok)
		return zone_fail(z, "record", index, "%s: unknown record type "
		    "\"%.*s\" (use A, AAAA, CNAME, MX, TXT, CAA or NS)", desc,
		    (int)(len > 16 ? 16 : len), tok);
	p += len;
	p += strspn(p, " \t");
	flags = NAME_OWNER;
	if (t == RR_TXT || t == RR_CNAME)
		flags |= NAME_UNDERSCORE;
	if (name_parse(z, name, flags, owner, why, sizeof(why)) == -1)
		return zone_fail(z, "record", index, "%s: %s", desc, why);
	target[0] = '\0';
	if (rdata_parse(z, t, owner, p, &b, target, why, sizeof(why)) == -1) {
		free(b.p);
		return zone_fail(z, "record", index, "%s: %s", desc, why);
	}
	if (zone_add_rdata(z, owner, t, &b, target, "record", index,
	    desc) == -1)
		return -1;
	z->rr[z->n - 1].ttl = ttl;
	return 0;
}

/* Whether the record line has type TXT: NAME [TTL] [IN] TXT ... */
static int
record_is_txt(const char *p)
{
	size_t len;
	int i;

	for (i = 0; i < 4; i++) {
		p += strspn(p, " \t");
		len = strcspn(p, " \t");
		if (len == 3 && strncasecmp(p, "TXT", 3) == 0 && i > 0)
			return 1;
		if (i > 0 && !isdigit((unsigned char)*p) &&
		    !(len == 2 && strncasecmp(p, "IN", 2) == 0))
			return 0;
		p += len;
	}
	return 0;
}

/* Joins continuation values (starting with a quote) to the TXT record
 * before them, then parses each record. */
static int
zone_records(struct zone *z)
{
	const struct conf_list *l = &z->cfg->record;
	struct buf b = { 0 };
	size_t i, j;
	int rc = 0;

	if (l->n > RECORDS_MAX)
		return zone_fail(z, "record", RECORDS_MAX, "more than %d "
		    "records", RECORDS_MAX);
	for (i = 0; i < l->n && rc == 0; i = j) {
		b.len = 0;
		buf_printf(&b, "%s", l->v[i]);
		for (j = i + 1; j < l->n && l->v[j][0] == '"'; j++)
			buf_printf(&b, " %s", l->v[j]);
		if (b.oom) {
			rc = zone_fail(z, NULL, 0, "out of memory");
			break;
		}
		if (j > i + 1 && l->v[i][0] != '"' &&
		    !record_is_txt(l->v[i])) {
			char q[120];

			zone_quote(q, sizeof(q), l->v[i + 1]);
			rc = zone_fail(z, "record", i + 1, "record %s: a line "
			    "that starts with a quote would continue a TXT "
			    "record, but the record before it is not TXT", q);
			break;
		}
		rc = zone_record(z, b.p, i);
	}
	free(b.p);
	return rc;
}

static const struct rr *
zone_find(const struct zone *z, const char *owner, int type, size_t skip)
{
	size_t i;

	for (i = 0; i < z->n; i++)
		if (i != skip && strcmp(z->rr[i].owner, owner) == 0 &&
		    (type < 0 || z->rr[i].type == (enum rr_type)type))
			return &z->rr[i];
	return NULL;
}

static int
zone_has_address(const struct zone *z, const char *owner)
{
	return zone_find(z, owner, RR_A, (size_t)-1) != NULL ||
	    zone_find(z, owner, RR_AAAA, (size_t)-1) != NULL;
}

/* Refuses the zone, blaming the source of r. */
static int __attribute__((format(printf, 3, 4)))
rr_blame(struct zone *z, const struct rr *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return zone_fail(z, r->key, r->index, "%s: %s", r->desc, msg);
}

/* A CNAME is alone at its name (RFC 1034 §3.6.2, RFC 2181 §10.1), and
 * leads somewhere in the zone without a loop. */
static int
zone_check_cname(struct zone *z, size_t i)
{
	const struct rr *r = &z->rr[i], *o, *c;
	size_t j, steps;

	for (j = 0; j < z->n; j++) {
		o = &z->rr[j];
		if (j == i || strcmp(o->owner, r->owner) != 0)
			continue;
		if (o->type == RR_CNAME)
			return rr_blame(z, &z->rr[i > j ? i : j], "%s already "
			    "has a CNAME (%s): a name has at most one CNAME",
			    r->owner, z->rr[i > j ? j : i].desc);
		return rr_blame(z, &z->rr[i > j ? i : j], "%s has a CNAME "
		    "(%s) and other data (%s): a CNAME cannot share its name "
		    "with other records (RFC 1034 §3.6.2)", r->owner,
		    r->desc, o->desc);
	}
	if (!name_in_zone(z, r->target))
		return 0;
	for (c = r, steps = 0; c != NULL; steps++) {
		if (steps > z->n || strcmp(c->target, r->owner) == 0)
			return rr_blame(z, r, "CNAME loop through %s",
			    c->target);
		if (zone_find(z, c->target, -1, (size_t)-1) == NULL)
			return rr_blame(z, r, "CNAME target %s has no records "
			    "in the zone", c->target);
		c = zone_find(z, c->target, RR_CNAME, (size_t)-1);
		if (c != NULL && !name_in_zone(z, c->target))
			break;
	}
	return 0;
}

/* NS and MX targets in the zone have addresses and are no aliases
 * (RFC 2181 §10.3, RFC 1912 §2.4). */
static int
zone_check_target(struct zone *z, const struct rr *r)
{
	const struct rr *c;
	const char *what = r->type == RR_NS ? "name server" : "mail server";

	if (!name_in_zone(z, r->target))
		return 0;
	c = zone_find(z, r->target, RR_CNAME, (size_t)-1);
	if (c != NULL) {
		if (r->key == NULL)
			return rr_blame(z, c, "%s is the name server of the "
			    "zone (%s), and NS must not point to a CNAME (RFC "
			    "2181 §10.3)", c->owner, r->desc);
		return rr_blame(z, r, "%s %s is a CNAME (%s): NS and MX must "
		    "not point to a CNAME (RFC 2181 §10.3)", what, r->target,
		    c->desc);
	}
	if (!zone_has_address(z, r->target))
		return rr_blame(z, r, "%s %s has no A or AAAA record in the "
		    "zone", what, r->target);
	return 0;
}

static long long
rr_ttl(const struct zone *z, const struct rr *r)
{
	return r->ttl ? r->ttl : z->ttl;
}

static int
zone_check(struct zone *z)
{
	const struct rr *r, *o;
	size_t i, j;

	for (i = 0; i < z->n; i++) {
		r = &z->rr[i];
		for (j = 0; j < i; j++) {
			o = &z->rr[j];
			if (o->type != r->type || strcmp(o->owner, r->owner))
				continue;
			if (strcmp(o->rdata, r->rdata) == 0)
				return rr_blame(z, r, "duplicate of %s",
				    o->desc);
			if (rr_ttl(z, o) != rr_ttl(z, r))
				return rr_blame(z, r, "TTL %lld differs from "
				    "the TTL %lld of %s: records of one name "
				    "and type share a TTL (RFC 2181 §5.2)",
				    rr_ttl(z, r), rr_ttl(z, o), o->desc);
			if (r->type == RR_MX && (strcmp(r->target, ".") == 0 ||
			    strcmp(o->target, ".") == 0))
				return rr_blame(z, r, "a null MX (\".\") must "
				    "be the only MX of its name (RFC 7505)");
		}
	}
	for (i = 0; i < z->n; i++)
		if (z->rr[i].type == RR_CNAME && zone_check_cname(z, i) == -1)
			return -1;
	for (i = 0; i < z->n; i++) {
		r = &z->rr[i];
		if ((r->type == RR_NS || r->type == RR_MX) &&
		    strcmp(r->target, ".") != 0 &&
		    zone_check_target(z, r) == -1)
			return -1;
	}
	return 0;
}

static void
zone_free(struct zone *z)
{
	size_t i;

	for (i = 0; i < z->n; i++)
		free(z->rr[i].rdata);
	free(z->rr);
	z->rr = NULL;
	z->n = z->cap = 0;
}

/* Moves the last RR to index at, before the records parsed already. */
static void
zone_move_last(struct zone *z, size_t at)
{
	struct rr last = z->rr[z->n - 1];

	memmove(&z->rr[at + 1], &z->rr[at], (z->n - 1 - at) * sizeof(last));
	z->rr[at] = last;
}

/* The NS record of nameserver =, right after the SOA. */
static int
zone_ns(struct zone *z)
{
	struct buf b = { 0 };
	char desc[140];

	if (z->cfg->nameserver != NULL)
		fmt(desc, sizeof(desc), "nameserver %s", z->ns);
	else
		fmt(desc, sizeof(desc), "the default nameserver %s", z->ns);
	buf_printf(&b, "%s", z->ns);
	return zone_add_rdata(z, z->origin, RR_NS, &b, z->ns,
	    z->cfg->nameserver ? "nameserver" : NULL, 0, desc);
}

/* An in-zone nameserver that no record gives an address (and that is
 * no alias: zone_check refuses that) gets the apex addresses, inserted
 * at *at. */
static int
zone_ns_addresses(struct zone *z, size_t *at)
{
	const char *key = z->rr[0].key;
	struct buf b = { 0 };
	size_t i, naddr = z->cfg->address.n;
	char desc[sizeof(z->rr[0].desc)];

	if (!name_in_zone(z, z->ns) || strcmp(z->ns, z->origin) == 0 ||
	    zone_has_address(z, z->ns) ||
	    zone_find(z, z->ns, RR_CNAME, (size_t)-1) != NULL ||
	    (z->cfg->www && strncmp(z->ns, "www.", 4) == 0 &&
	    strcmp(z->ns + 4, z->origin) == 0))
		return 0;
	/* zone_add may move z->rr: copy what is needed from it first. */
	memcpy(desc, z->rr[0].desc, sizeof(desc));
	for (i = 0; i < naddr; i++) {
		enum rr_type t = z->rr[1 + i].type;

		buf_printf(&b, "%s", z->rr[1 + i].rdata);
		if (zone_add_rdata(z, z->ns, t, &b, NULL, key, 0, desc) == -1)
			return -1;
		zone_move_last(z, (*at)++);
	}
	return 0;
}

/* www = yes: www CNAME to the apex, inserted at *at. */
static int
zone_www(struct zone *z, size_t *at)
{
	struct buf b = { 0 };
	char www[NAME_BUF];

	if (!z->cfg->www)
		return 0;
	fmt(www, sizeof(www), "www.%s", z->origin);
	if (strlen(www) > NAME_WIRE_MAX - 1)
		return zone_fail(z, "www", 0, "www = yes: name www.%s is "
		    "longer than 255 bytes", z->origin);
	buf_printf(&b, "%s", z->origin);
	if (zone_add_rdata(z, www, RR_CNAME, &b, z->origin, "www", 0,
	    "www = yes") == -1)
		return -1;
	zone_move_last(z, (*at)++);
	return 0;
}

/* Builds the records of cfg into z, in their output order, and checks
 * them. */
static int
zone_load(struct zone *z, const struct dns_config *cfg,
    struct dns_error *err)
{
	size_t at;

	memset(z, 0, sizeof(*z));
	memset(err, 0, sizeof(*err));
	z->cfg = cfg;
	z->err = err;
	z->ttl = cfg->ttl;
	if (z->ttl < DNS_TTL_MIN || z->ttl > DNS_TTL_MAX)
		return zone_fail(z, "ttl", 0, "ttl %lld is out of range (%d to "
		    "%d seconds)", z->ttl, DNS_TTL_MIN, DNS_TTL_MAX);
	if (zone_domain(z) == -1 || zone_nameserver(z) == -1 ||
	    zone_hostmaster(z) == -1 || zone_ns(z) == -1 ||
	    zone_addresses(z) == -1)
		return -1;
	/* The records are parsed first, to know whether the nameserver
	 * has addresses of its own; the generated ones go before them. */
	at = z->n;
	if (zone_records(z) == -1 || zone_ns_addresses(z, &at) == -1 ||
	    zone_www(z, &at) == -1)
		return -1;
	return zone_check(z);
}

static const char *
zone_relative(const struct zone *z, const char *name, char *out,
    size_t outlen)
{
	size_t n = strlen(name), o = strlen(z->origin);

	if (strcmp(name, z->origin) == 0)
		return "@";
	fmt(out, outlen, "%.*s", (int)(n - o - 1), name);
	return out;
}

static char *
zone_render(const struct zone *z, uint32_t serial)
{
	struct buf b = { 0 };
	char rel[NAME_BUF];
	size_t i;

	buf_printf(&b, "; Zone %s written by foobar-dns(1) from dns.conf(5): "
	    "do not edit.\n", z->origin);
	buf_printf(&b, "$ORIGIN %s\n$TTL %lld\n", z->origin, z->ttl);
	buf_printf(&b, "@\tIN\tSOA\t%s %s (\n", z->ns, z->rname);
	buf_printf(&b, "\t\t\t%u\t; serial\n", serial);
	buf_printf(&b, "\t\t\t%d\t\t; refresh\n", DNS_SOA_REFRESH);
	buf_printf(&b, "\t\t\t%d\t\t; retry\n", DNS_SOA_RETRY);
	buf_printf(&b, "\t\t\t%d\t\t; expire\n", DNS_SOA_EXPIRE);
	buf_printf(&b, "\t\t\t%d )\t\t; negative caching TTL\n",
	    DNS_SOA_MINIMUM);
	for (i = 0; i < z->n; i++) {
		const struct rr *r = &z->rr[i];

		buf_printf(&b, "%s\t", zone_relative(z, r->owner, rel,
		    sizeof(rel)));
		if (r->ttl)
			buf_printf(&b, "%lld\t", r->ttl);
		buf_printf(&b, "IN\t%s\t%s\n", rr_type_names[r->type],
		    r->rdata);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

int
dns_zone_check(const struct dns_config *cfg, struct dns_error *err)
{
	struct zone z;
	int rc = zone_load(&z, cfg, err);

	zone_free(&z);
	return rc;
}

int
dns_zone_serial(const char *text, size_t len, uint32_t *serial)
{
	const char *end, *p;
	unsigned long long v = 0;
	int digits = 0;

	if (text == NULL)
		return -1;
	end = text + len;
	p = memmem(text, len, "\tSOA\t", 5);
	if (p == NULL)
		return -1;
	p = memchr(p, '(', (size_t)(end - p));
	if (p == NULL)
		return -1;
	for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\n'); p++)
		;
	for (; p < end && isdigit((unsigned char)*p) && digits < 11; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		digits++;
	}
	if (digits == 0 || v > UINT32_MAX || p == end ||
	    (*p != ' ' && *p != '\t' && *p != '\n'))
		return -1;
	*serial = (uint32_t)v;
	return 0;
}

int
dns_serial_next(uint32_t old, int have_old, uint32_t today, uint32_t *next)
{
	unsigned long long base = (unsigned long long)today * 100, n;

	n = have_old ? (unsigned long long)old + 1 : base;
	if (n < base)
		n = base;
	if (n > UINT32_MAX)
		return -1;
	*next = (uint32_t)n;
	return 0;
}

int
dns_today_parse(const char *s, uint32_t *today)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	unsigned y, m, d, v = 0;
	size_t i;

	if (strlen(s) != 8)
		return -1;
	for (i = 0; i < 8; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');	/* < 10^8 */
	}
	y = v / 10000;
	m = v / 100 % 100;
	d = v % 100;
	if (y < 1970 || y > 4294 || m < 1 || m > 12 || d < 1 ||
	    d > (unsigned)mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	*today = y * 10000 + m * 100 + d;
	return 0;
}

int
dns_zone_update(const struct dns_config *cfg, const char *old,
    size_t oldlen, uint32_t today, char **text, uint32_t *serial,
    int *changed, struct dns_error *err)
{
	struct zone z;
	uint32_t old_serial = 0;
	int have_old = 0;
	char *t;

	*text = NULL;
	if (zone_load(&z, cfg, err) == -1)
		goto fail;
	if (old != NULL && dns_zone_serial(old, oldlen, &old_serial) == 0) {
		have_old = 1;
		t = zone_render(&z, old_serial);
		if (t == NULL)
			goto oom;
		if (strlen(t) == oldlen && memcmp(t, old, oldlen) == 0) {
			*text = t;
			*serial = old_serial;
			*changed = 0;
			zone_free(&z);
			return 0;
		}
		free(t);
	}
	if (dns_serial_next(old_serial, have_old, today, serial) == -1) {
		zone_fail(&z, NULL, 0, "serial %u cannot grow past 4294967295:"
		    " reset it as RFC 1912 §3.1 says", old_serial);
		err->runtime = 1;
		goto fail;
	}
	*text = zone_render(&z, *serial);
	if (*text == NULL)
		goto oom;
	*changed = 1;
	zone_free(&z);
	return 0;
oom:
	zone_fail(&z, NULL, 0, "out of memory");
	err->runtime = 1;
fail:
	zone_free(&z);
	return -1;
}
