/* test_dns.c - dns/zone.c: golden zones, refusals, serial arithmetic. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../dns/dns.h"
#include "unit.h"

#define TODAY 20260101u

static char *
t_read(const char *rel, size_t *len)
{
	const char *top = getenv("SRCDIR");
	char path[4096], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
t_golden(const char *conf, const char *golden)
{
	const char *top = getenv("SRCDIR");
	struct dns_config cfg;
	struct dns_error e;
	char path[4096], err[1024], *want, *got;
	size_t wantlen;
	uint32_t serial;
	int changed;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", conf);
	dns_config_init(&cfg);
	ck_assert_msg(dns_config_load(path, &cfg, err, sizeof(err)) == 0,
	    "%s", err);
	free(cfg.output);
	cfg.output = NULL;
	ck_assert_msg(dns_zone_update(&cfg, NULL, 0, TODAY, &got, &serial,
	    &changed, &e) == 0, "%s", e.msg);
	want = t_read(golden, &wantlen);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(serial, 2026010100u);
	ck_assert_int_eq(changed, 1);
	free(got);
	free(want);
	dns_config_free(&cfg);
}

START_TEST(golden_default)
{
	t_golden("etc/dns.conf", "tests/dns/golden/foobar.com.zone");
}
END_TEST

START_TEST(golden_rich)
{
	t_golden("tests/dns/rich.conf", "tests/dns/golden/rich.zone");
}
END_TEST

/* A config for foobar.test with address 192.0.2.1, www = yes, and the
 * records given (NULL-terminated). */
static void
t_cfg(struct dns_config *cfg, ...)
{
	const char *r;
	va_list ap;

	dns_config_init(cfg);
	cfg->domain = strdup("foobar.test");
	conf_list_add(&cfg->address, "192.0.2.1");
	va_start(ap, cfg);
	while ((r = va_arg(ap, const char *)) != NULL)
		conf_list_add(&cfg->record, r);
	va_end(ap);
}

/* Builds cfg and returns its zone (malloc'd), failing on refusal. */
static char *
t_build(struct dns_config *cfg)
{
	struct dns_error e;
	uint32_t serial;
	char *text;
	int changed;

	ck_assert_msg(dns_zone_update(cfg, NULL, 0, TODAY, &text, &serial,
	    &changed, &e) == 0, "refused: %s", e.msg);
	return text;
}

/* cfg must be refused, blamed on key[index], with want in the message. */
static void
t_refused(struct dns_config *cfg, const char *key, size_t index,
    const char *want)
{
	struct dns_error e;
	uint32_t serial;
	char *text = NULL;
	int changed;

	ck_assert_int_eq(dns_zone_check(cfg, &e), -1);
	ck_assert_msg(strstr(e.msg, want) != NULL, "message \"%s\" lacks "
	    "\"%s\"", e.msg, want);
	if (key == NULL)
		ck_assert_ptr_null(e.key);
	else
		ck_assert_msg(e.key != NULL && strcmp(e.key, key) == 0 &&
		    e.index == index, "blamed %s[%zu], want %s[%zu] (%s)",
		    e.key ? e.key : "(none)", e.index, key, index, e.msg);
	ck_assert_int_eq(dns_zone_update(cfg, NULL, 0, TODAY, &text, &serial,
	    &changed, &e), -1);
	ck_assert_ptr_null(text);
	ck_assert_int_eq(e.runtime, 0);
	dns_config_free(cfg);
}

/* One refused record list: records, blamed record index, message. */
struct t_bad {
	const char *rec[4];
	size_t index;
	const char *want;
};

static const struct t_bad t_bad_records[] = {
	{ { "@ CNAME www" }, 0, "CNAME at the apex" },
	{ { "www A 192.0.2.7" }, 0,
	    "www.foobar.test. has a CNAME (www = yes) and other data" },
	{ { "x CNAME www", "x TXT \"a\"" }, 1, "a CNAME cannot share its "
	    "name with other records" },
	{ { "x TXT \"a\"", "x CNAME www" }, 1, "and other data" },
	{ { "x CNAME www", "x CNAME @" }, 1, "already has a CNAME" },
	{ { "@ MX 10 www" }, 0, "mail server www.foobar.test. is a CNAME" },
	{ { "@ MX 10 m", "m CNAME mail.example.net." }, 0,
	    "mail server m.foobar.test. is a CNAME" },
	{ { "ns1 CNAME www" }, 0, "ns1.foobar.test. is the name server of "
	    "the zone" },
	{ { "@ NS ns2", "ns2 CNAME www" }, 0, "name server ns2.foobar.test. "
	    "is a CNAME" },
	{ { "@ MX 10 nomail" }, 0, "mail server nomail.foobar.test. has no A "
	    "or AAAA record" },
	{ { "a CNAME b", "b CNAME a" }, 0, "CNAME loop" },
	{ { "a CNAME a" }, 0, "CNAME loop" },
	{ { "a CNAME nothere" }, 0, "has no records in the zone" },
	{ { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "A 192.0.2.2" }, 0, "is longer than 63 bytes (64)" },
	{ { "a_b A 192.0.2.2" }, 0, "label \"a_b\" has \"_\"" },
	{ { "_x A 192.0.2.2" }, 0, "allowed only in the name of a TXT or "
	    "CNAME record" },
	{ { "-a A 192.0.2.2" }, 0, "starts or ends with a hyphen" },
	{ { "a- TXT x" }, 0, "starts or ends with a hyphen" },
	{ { "a..b A 192.0.2.2" }, 0, "empty label" },
	{ { "caf\xc3\xa9 A 192.0.2.2" }, 0, "has byte 0xc3" },
	{ { "* A 192.0.2.2" }, 0, "has \"*\"" },
	{ { "@ MX 10 bad_host.example.net." }, 0, "has \"_\"" },
	{ { "a A 256.1.1.1" }, 0, "\"256.1.1.1\" is not an IPv4 address" },
	{ { "a A 1.2.3" }, 0, "not an IPv4 address" },
	{ { "a A 01.2.3.4" }, 0, "not an IPv4 address" },
	{ { "a AAAA 2001:db8::g" }, 0, "not an IPv6 address" },
	{ { "a AAAA 1:2:3:4:5:6:7:8:9" }, 0, "not an IPv6 address" },
	{ { "a A 2001:db8::1" }, 0, "is an IPv6 address: use AAAA" },
	{ { "a AAAA 192.0.2.1" }, 0, "is an IPv4 address: use A" },
	{ { "a A 0.0.0.0" }, 0, "unspecified address" },
	{ { "a A 192.0.2.1 192.0.2.2" }, 0, "not an IPv4 address" },
	{ { "a 59 A 192.0.2.2" }, 0, "TTL 59 is out of range (60 to 604800" },
	{ { "a 604801 A 192.0.2.2" }, 0, "TTL 604801 is out of range" },
	{ { "a 99999999999999999999 A 192.0.2.2" }, 0, "is out of range" },
	{ { "@ SRV 0 5 443 www" }, 0, "unknown record type \"SRV\"" },
	{ { "@ IN" }, 0, "want NAME [TTL] TYPE DATA" },
	{ { "" }, 0, "want NAME [TTL] TYPE DATA" },
	{ { "a TXT" }, 0, "TXT record has no data" },
	{ { "a TXT \"abc" }, 0, "unterminated quoted string" },
	{ { "a TXT \"abc\" def" }, 0, "unexpected text after a quoted string" },
	{ { "a TXT ab\"c" }, 0, "quote the text" },
	{ { "a TXT \"\\256\"" }, 0, "is over 255" },
	{ { "@ CAA 1 issue \"ca.example\"" }, 0, "FLAGS 0 or 128" },
	{ { "@ CAA 0 is-sue \"ca.example\"" }, 0, "other than letters and "
	    "digits" },
	{ { "@ CAA 0 issue \"bad_ca.example\"" }, 0, "CAA issuer" },
	{ { "@ CAA 0 issue \"ca.example; account\"" }, 0, "is not tag=value" },
	{ { "@ CAA 0 iodef \"security@foobar.test\"" }, 0,
	    "iodef must be a mailto:" },
	{ { "@ CAA 128 tbs \"x\"" }, 0, "unknown and marked critical" },
	{ { "@ CAA 0 issue" }, 0, "one word or a quoted string" },
	{ { "@ MX 10 mail.example.net" }, 0, "has a dot but does not end" },
	{ { "@ MX mail.example.net." }, 0, "MX wants PREFERENCE" },
	{ { "@ MX 65536 mail.example.net." }, 0, "MX wants PREFERENCE" },
	{ { "@ MX 10 ." }, 0, "null MX (\".\") must have preference 0" },
	{ { "@ MX 0 .", "@ MX 10 mail.example.net." }, 1,
	    "must be the only MX" },
	{ { "a CNAME www.example" }, 0, "has a dot but does not end" },
	{ { "sub NS ns.example.net." }, 0, "allowed only at the apex" },
	{ { "mail.foobar.test A 192.0.2.2" }, 0, "without a final dot is "
	    "relative to the zone" },
	{ { "mail.example.net. A 192.0.2.2" }, 0, "is not in the zone" },
	{ { "a A 192.0.2.2", "a A 192.0.2.2" }, 1, "duplicate of record" },
	{ { "@ A 192.0.2.1" }, 0, "duplicate of address" },
	{ { "a A 192.0.2.2", "a 300 A 192.0.2.3" }, 1, "TTL 300 differs "
	    "from the TTL 3600" },
	{ { "@ MX 10 mail.example.net.", "\"more\"" }, 1,
	    "would continue a TXT record" },
	{ { "\"orphan\"" }, 0, "continues a TXT record, but there is none" },
};

START_TEST(refused_record)
{
	const struct t_bad *b = &t_bad_records[_i];
	struct dns_config cfg;

	t_cfg(&cfg, b->rec[0], b->rec[1], b->rec[2], (char *)NULL);
	t_refused(&cfg, "record", b->index, b->want);
}
END_TEST

START_TEST(refused_name_over_255)
{
	struct dns_config cfg;
	char label[64], name[256], rec[300];

	memset(label, 'a', 60);
	label[60] = '\0';
	t_cfg(&cfg, (char *)NULL);
	snprintf(name, sizeof(name), "%s.%s.%s.test", label, label, label);
	free(cfg.domain);
	cfg.domain = strdup(name);
	cfg.www = 0;
	snprintf(rec, sizeof(rec), "%s.%s TXT x", label, label);
	conf_list_add(&cfg.record, rec);
	t_refused(&cfg, "record", 0, "longer than 255 bytes (311)");
}
END_TEST

START_TEST(refused_keys)
{
	struct dns_config cfg;
	char label[80];

	t_cfg(&cfg, (char *)NULL);
	free(cfg.domain);
	cfg.domain = NULL;
	t_refused(&cfg, NULL, 0, "no domain");

	t_cfg(&cfg, (char *)NULL);
	conf_list_free(&cfg.address);
	t_refused(&cfg, NULL, 0, "no address");

	t_cfg(&cfg, (char *)NULL);
	conf_list_add(&cfg.address, "2001:db8::1");
	conf_list_add(&cfg.address, "2001:db8:0:0::1");
	t_refused(&cfg, "address", 2, "duplicate of address");

	t_cfg(&cfg, (char *)NULL);
	conf_list_add(&cfg.address, "192.0.2.300");
	t_refused(&cfg, "address", 1, "address \"192.0.2.300\": \"192.0.2.300"
	    "\" is not an IPv4 address");

	t_cfg(&cfg, (char *)NULL);
	free(cfg.domain);
	cfg.domain = strdup("foo_bar.test");
	t_refused(&cfg, "domain", 0, "domain \"foo_bar.test\": label "
	    "\"foo_bar\" has \"_\"");

	t_cfg(&cfg, (char *)NULL);
	memset(label, 'x', 64);
	label[64] = '\0';
	free(cfg.domain);
	cfg.domain = strdup(label);
	t_refused(&cfg, "domain", 0, "longer than 63 bytes");

	t_cfg(&cfg, (char *)NULL);
	free(cfg.domain);
	cfg.domain = strdup(".");
	t_refused(&cfg, "domain", 0, "root name");

	t_cfg(&cfg, (char *)NULL);
	cfg.ttl = 59;
	t_refused(&cfg, "ttl", 0, "ttl 59 is out of range");

	t_cfg(&cfg, (char *)NULL);
	cfg.ttl = 2147483648LL;
	t_refused(&cfg, "ttl", 0, "out of range");

	t_cfg(&cfg, (char *)NULL);
	cfg.nameserver = strdup("www.foobar.test");
	t_refused(&cfg, "nameserver", 0, "name server www.foobar.test. is a "
	    "CNAME");

	t_cfg(&cfg, (char *)NULL);
	cfg.nameserver = strdup("ns_1.example.net");
	t_refused(&cfg, "nameserver", 0, "has \"_\"");

	t_cfg(&cfg, (char *)NULL);
	cfg.hostmaster = strdup("root");
	t_refused(&cfg, "hostmaster", 0, "not a mailbox");

	t_cfg(&cfg, (char *)NULL);
	cfg.hostmaster = strdup("ro ot@foobar.test");
	t_refused(&cfg, "hostmaster", 0, "the mailbox may have only");
}
END_TEST

START_TEST(accepted)
{
	struct dns_config cfg;
	char *z;

	/* The nameserver's addresses come from an explicit record. */
	t_cfg(&cfg, "ns1 AAAA 2001:db8::53", (char *)NULL);
	z = t_build(&cfg);
	ck_assert_ptr_nonnull(strstr(z, "ns1\tIN\tAAAA\t2001:db8::53\n"));
	ck_assert_ptr_null(strstr(z, "ns1\tIN\tA\t"));
	free(z);
	dns_config_free(&cfg);

	/* An out-of-zone nameserver gets no address records. */
	t_cfg(&cfg, (char *)NULL);
	cfg.nameserver = strdup("ns.example.net.");
	cfg.www = 0;
	z = t_build(&cfg);
	ck_assert_ptr_nonnull(strstr(z, "@\tIN\tNS\tns.example.net.\n"));
	ck_assert_ptr_null(strstr(z, "CNAME"));
	ck_assert_ptr_null(strstr(z, "ns1"));
	free(z);
	dns_config_free(&cfg);

	/* Null MX, service labels, CNAME to another zone. */
	t_cfg(&cfg, "@ MX 0 .", "_dmarc TXT \"v=DMARC1; p=reject\"",
	    "s1._domainkey CNAME s1._domainkey.mail.example.net.", (char *)NULL);
	cfg.hostmaster = strdup("Dns.Admin@Foobar.Test.");
	z = t_build(&cfg);
	ck_assert_ptr_nonnull(strstr(z, "@\tIN\tMX\t0 .\n"));
	ck_assert_ptr_nonnull(strstr(z, "s1._domainkey\tIN\tCNAME\t"
	    "s1._domainkey.mail.example.net.\n"));
	ck_assert_ptr_nonnull(strstr(z, " dns\\.admin.foobar.test. ("));
	free(z);
	dns_config_free(&cfg);
}
END_TEST

START_TEST(many_addresses)
{
	struct dns_config cfg;
	char a[32], *z, *p;
	int i, n = 0;

	/* Enough records that the array moves while the nameserver's
	 * address records are added. */
	t_cfg(&cfg, (char *)NULL);
	for (i = 2; i < 40; i++) {
		snprintf(a, sizeof(a), "192.0.2.%d", i);
		conf_list_add(&cfg.address, a);
	}
	z = t_build(&cfg);
	for (p = z; (p = strstr(p, "\nns1\tIN\tA\t192.0.2.")) != NULL; p++)
		n++;
	ck_assert_int_eq(n, 39);
	free(z);
	dns_config_free(&cfg);
}
END_TEST

START_TEST(refused_long_defaults)
{
	struct dns_config cfg;
	char name[300];

	/* 252 bytes: the domain fits, ns1.<domain> does not. */
	memset(name, 'a', 252);
	name[252] = '\0';
	for (int i = 63; i < 252; i += 64)
		name[i] = '.';
	t_cfg(&cfg, (char *)NULL);
	free(cfg.domain);
	cfg.domain = strdup(name);
	cfg.www = 0;
	t_refused(&cfg, "domain", 0, "the default nameserver");

	t_cfg(&cfg, (char *)NULL);
	free(cfg.domain);
	cfg.domain = strdup(name);
	cfg.www = 0;
	cfg.nameserver = strdup("ns.example.net");
	t_refused(&cfg, "domain", 0, "the default hostmaster");

	t_cfg(&cfg, (char *)NULL);
	free(cfg.domain);
	cfg.domain = strdup(name);
	cfg.nameserver = strdup("ns.example.net");
	cfg.hostmaster = strdup("h@example.net");
	t_refused(&cfg, "www", 0, "www = yes: name www.");
}
END_TEST

START_TEST(txt_split)
{
	struct dns_config cfg;
	char rec[700], want[700], *z;

	t_cfg(&cfg, (char *)NULL);
	memcpy(rec, "t TXT ", 6);
	memset(rec + 6, 'a', 600);
	rec[606] = '\0';
	conf_list_add(&cfg.record, rec);
	z = t_build(&cfg);
	snprintf(want, sizeof(want), "t\tIN\tTXT\t\"%.255s\" \"%.255s\" "
	    "\"%.90s\"\n", rec + 6, rec + 6, rec + 6);
	ck_assert_ptr_nonnull(strstr(z, want));
	free(z);
	dns_config_free(&cfg);

	/* 255 bytes stay one string; 256 become two. */
	t_cfg(&cfg, (char *)NULL);
	memset(rec + 6, 'b', 256);
	rec[6 + 255] = '\0';
	conf_list_add(&cfg.record, rec);
	z = t_build(&cfg);
	snprintf(want, sizeof(want), "\t\"%.255s\"\n", rec + 6);
	ck_assert_ptr_nonnull(strstr(z, want));
	free(z);
	dns_config_free(&cfg);

	t_cfg(&cfg, (char *)NULL);
	memset(rec + 6, 'c', 256);
	rec[6 + 256] = '\0';
	conf_list_add(&cfg.record, rec);
	z = t_build(&cfg);
	snprintf(want, sizeof(want), "\t\"%.255s\" \"c\"\n", rec + 6);
	ck_assert_ptr_nonnull(strstr(z, want));
	free(z);
	dns_config_free(&cfg);

	/* Continuation lines add strings; escapes round-trip. */
	t_cfg(&cfg, "t TXT \"one\"", "\"two\" \"t\\\"hree\\\\\"", "\"\\009\"",
	    (char *)NULL);
	z = t_build(&cfg);
	ck_assert_ptr_nonnull(strstr(z, "t\tIN\tTXT\t\"one\" \"two\" "
	    "\"t\\\"hree\\\\\" \"\\009\"\n"));
	free(z);
	dns_config_free(&cfg);
}
END_TEST

START_TEST(serial_next)
{
	uint32_t s;

	ck_assert_int_eq(dns_serial_next(0, 0, TODAY, &s), 0);
	ck_assert_uint_eq(s, 2026010100u);
	/* Same day: +1. */
	ck_assert_int_eq(dns_serial_next(2026010105u, 1, TODAY, &s), 0);
	ck_assert_uint_eq(s, 2026010106u);
	/* A new day restarts at nn = 00. */
	ck_assert_int_eq(dns_serial_next(2025123107u, 1, TODAY, &s), 0);
	ck_assert_uint_eq(s, 2026010100u);
	/* 100 changes in a day run into the next day's numbers. */
	ck_assert_int_eq(dns_serial_next(2026010199u, 1, TODAY, &s), 0);
	ck_assert_uint_eq(s, 2026010200u);
	/* An old serial ahead of the clock keeps growing. */
	ck_assert_int_eq(dns_serial_next(3000000000u, 1, TODAY, &s), 0);
	ck_assert_uint_eq(s, 3000000001u);
	ck_assert_int_eq(dns_serial_next(4294967295u, 1, TODAY, &s), -1);
}
END_TEST

START_TEST(today_parse)
{
	uint32_t t;

	ck_assert_int_eq(dns_today_parse("20260101", &t), 0);
	ck_assert_uint_eq(t, 20260101u);
	ck_assert_int_eq(dns_today_parse("20240229", &t), 0);
	ck_assert_int_eq(dns_today_parse("20260229", &t), -1);
	ck_assert_int_eq(dns_today_parse("21000229", &t), -1);
	ck_assert_int_eq(dns_today_parse("20000229", &t), 0);
	ck_assert_int_eq(dns_today_parse("20261301", &t), -1);
	ck_assert_int_eq(dns_today_parse("20260431", &t), -1);
	ck_assert_int_eq(dns_today_parse("2026010", &t), -1);
	ck_assert_int_eq(dns_today_parse("2026010a", &t), -1);
	ck_assert_int_eq(dns_today_parse("19691231", &t), -1);
}
END_TEST

START_TEST(zone_serial)
{
	uint32_t s;
	const char *z = "@\tIN\tSOA\tns. h. (\n\t\t\t2026010203\t; serial\n";

	ck_assert_int_eq(dns_zone_serial(z, strlen(z), &s), 0);
	ck_assert_uint_eq(s, 2026010203u);
	ck_assert_int_eq(dns_zone_serial(z, 30, &s), -1);
	z = "@\tIN\tSOA\tns. h. ( 4294967296 ";
	ck_assert_int_eq(dns_zone_serial(z, strlen(z), &s), -1);
	z = "@\tIN\tSOA\tns. h. ( 4294967295 ";
	ck_assert_int_eq(dns_zone_serial(z, strlen(z), &s), 0);
	ck_assert_uint_eq(s, 4294967295u);
	z = "@ IN SOA ns. h. ( 1 ";
	ck_assert_int_eq(dns_zone_serial(z, strlen(z), &s), -1);
	ck_assert_int_eq(dns_zone_serial("", 0, &s), -1);
	ck_assert_int_eq(dns_zone_serial(NULL, 0, &s), -1);
}
END_TEST

/* The zone built from cfg with old as the previous file. */
static char *
t_update(struct dns_config *cfg, const char *old, uint32_t today,
    uint32_t *serial, int *changed)
{
	struct dns_error e;
	char *text;

	ck_assert_msg(dns_zone_update(cfg, old, old ? strlen(old) : 0, today,
	    &text, serial, changed, &e) == 0, "%s", e.msg);
	return text;
}

START_TEST(update_serial)
{
	struct dns_config cfg;
	char *z1, *z2, *z3, *z4;
	uint32_t s;
	int changed;

	t_cfg(&cfg, (char *)NULL);
	z1 = t_update(&cfg, NULL, TODAY, &s, &changed);
	ck_assert_uint_eq(s, 2026010100u);
	/* Unchanged content: the old text, same serial, even a day later. */
	z2 = t_update(&cfg, z1, TODAY + 1, &s, &changed);
	ck_assert_int_eq(changed, 0);
	ck_assert_uint_eq(s, 2026010100u);
	ck_assert_str_eq(z2, z1);
	/* Changed the same day: +1. */
	conf_list_add(&cfg.record, "a A 192.0.2.9");
	z3 = t_update(&cfg, z1, TODAY, &s, &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_uint_eq(s, 2026010101u);
	ck_assert_ptr_nonnull(strstr(z3, "\t2026010101\t; serial\n"));
	/* Changed on a later day: that day's first serial. */
	conf_list_add(&cfg.record, "b A 192.0.2.9");
	z4 = t_update(&cfg, z3, 20260315u, &s, &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_uint_eq(s, 2026031500u);
	free(z1);
	free(z2);
	free(z3);
	free(z4);
	/* A file without a serial of ours is replaced. */
	z1 = t_update(&cfg, "; hand-made\n", TODAY, &s, &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_uint_eq(s, 2026010100u);
	free(z1);
	/* A hand-edited file (same serial) counts as changed. */
	z1 = t_update(&cfg, NULL, TODAY, &s, &changed);
	z1[0] = '#';
	z2 = t_update(&cfg, z1, TODAY, &s, &changed);
	ck_assert_int_eq(changed, 1);
	ck_assert_uint_eq(s, 2026010101u);
	free(z1);
	free(z2);
	dns_config_free(&cfg);
}
END_TEST

START_TEST(update_serial_exhausted)
{
	struct dns_config cfg;
	struct dns_error e;
	const char *old = "@\tIN\tSOA\tns. h. (\n\t\t\t4294967295\t; serial\n";
	uint32_t s;
	char *text;
	int changed;

	t_cfg(&cfg, (char *)NULL);
	ck_assert_int_eq(dns_zone_update(&cfg, old, strlen(old), TODAY, &text,
	    &s, &changed, &e), -1);
	ck_assert_int_eq(e.runtime, 1);
	ck_assert_ptr_nonnull(strstr(e.msg, "RFC 1912"));
	dns_config_free(&cfg);
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("zone");

	tcase_add_test(tc, golden_default);
	tcase_add_test(tc, golden_rich);
	tcase_add_loop_test(tc, refused_record, 0,
	    (int)(sizeof(t_bad_records) / sizeof(*t_bad_records)));
	tcase_add_test(tc, refused_name_over_255);
	tcase_add_test(tc, refused_keys);
	tcase_add_test(tc, accepted);
	tcase_add_test(tc, many_addresses);
	tcase_add_test(tc, refused_long_defaults);
	tcase_add_test(tc, txt_split);
	tcase_add_test(tc, serial_next);
	tcase_add_test(tc, today_parse);
	tcase_add_test(tc, zone_serial);
	tcase_add_test(tc, update_serial);
	tcase_add_test(tc, update_serial_exhausted);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(dns_suite());
}
