/* dns.h - foobar-dns: the zone file of one domain, built from dns.conf. */
#ifndef FOOBAR_DNS_H
#define FOOBAR_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* TTL bounds (seconds) for ttl = and per-record TTLs. RFC 2181 allows
 * 0..2147483647; below a minute defeats caching, and resolvers cap TTLs
 * at a week or less anyway. */
#define DNS_TTL_MIN 60
#define DNS_TTL_MAX 604800
#define DNS_TTL_DEFAULT 3600

/* SOA timers (RFC 1912 §2.2, RFC 2308): fixed. */
#define DNS_SOA_REFRESH 3600
#define DNS_SOA_RETRY 900
#define DNS_SOA_EXPIRE 1209600
#define DNS_SOA_MINIMUM 3600

/* The node-exporter textfile written after each run ([metrics] textfile,
 * --metrics-file). */
#define DNS_METRICS_FILE \
	"/var/lib/prometheus/node-exporter/foobar_dns.prom"

/* The [zone] section of dns.conf, with command-line values applied. */
struct dns_config {
	char *domain;
	struct conf_list address;	/* IPv4 → A, IPv6 → AAAA */
	int www;			/* www CNAME to the apex, default yes */
	char *nameserver;		/* NULL: ns1.<domain> */
	char *hostmaster;		/* NULL: hostmaster.<domain> */
	long long ttl;
	char *output;			/* NULL: stdout */
	char *metrics_file;		/* [metrics] textfile; NULL: default */
	struct conf_list record;	/* "NAME [TTL] [IN] TYPE RDATA" */
};

/* What a refused configuration is blamed on. */
struct dns_error {
	const char *key;	/* the [zone] key at fault, or NULL */
	size_t index;		/* which value of a repeatable key */
	int runtime;		/* not the config's fault (serial exhausted) */
	char msg[512];
};

/* config.c */

/* Sets the defaults. Never fails. */
void dns_config_init(struct dns_config *cfg);

/* Reads the [zone] section of path into cfg. Returns 0, or -1 with
 * "PATH:LINE: message" in err. */
int dns_config_load(const char *path, struct dns_config *cfg, char *err,
    size_t errlen);

/* Frees what cfg holds. */
void dns_config_free(struct dns_config *cfg);

/* zone.c: pure, no I/O */

/* Checks cfg as dns_zone_update would. Returns 0, or -1 with err set. */
int dns_zone_check(const struct dns_config *cfg, struct dns_error *err);

/* Builds the zone text for cfg. old (oldlen bytes, or NULL) is the zone
 * file written before: when the new zone differs from it only by the
 * serial, *changed is 0 and *text is a copy of the old zone; otherwise
 * *changed is 1 and the serial is dns_serial_next(old serial, today).
 * today is YYYYMMDD. Returns 0 with *text malloc'd (NUL-terminated) and
 * *serial set, or -1 with err set. */
int dns_zone_update(const struct dns_config *cfg, const char *old,
    size_t oldlen, uint32_t today, char **text, uint32_t *serial,
    int *changed, struct dns_error *err);

/* Finds the SOA serial in a zone this program wrote. Returns 0, or -1
 * when there is none. */
int dns_zone_serial(const char *text, size_t len, uint32_t *serial);

/* max(old + 1, today * 100), or today * 100 without an old serial.
 * Returns 0, or -1 when the serial would pass 2^32 - 1. */
int dns_serial_next(uint32_t old, int have_old, uint32_t today,
    uint32_t *next);

/* Parses a date "YYYYMMDD". Returns 0, or -1 when it is not one. */
int dns_today_parse(const char *s, uint32_t *today);

#endif
