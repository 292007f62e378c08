/* config.c - the [zone] section of dns.conf. */
#include "dns.h"

#include <stddef.h>
#include <string.h>

static const struct conf_key dns_zone_keys[] = {
	{ "domain", CONF_STRING, offsetof(struct dns_config, domain), 0, 0,
	    NULL },
	{ "address", CONF_LIST, offsetof(struct dns_config, address), 0, 0,
	    NULL },
	{ "www", CONF_BOOL, offsetof(struct dns_config, www), 0, 0, NULL },
	{ "nameserver", CONF_STRING, offsetof(struct dns_config, nameserver),
	    0, 0, NULL },
	{ "hostmaster", CONF_STRING, offsetof(struct dns_config, hostmaster),
	    0, 0, NULL },
	{ "ttl", CONF_INT, offsetof(struct dns_config, ttl), DNS_TTL_MIN,
	    DNS_TTL_MAX, NULL },
	{ "output", CONF_STRING, offsetof(struct dns_config, output), 0, 0,
	    NULL },
	{ "record", CONF_LIST, offsetof(struct dns_config, record), 0, 0,
	    NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key dns_metrics_keys[] = {
	{ "textfile", CONF_STRING, offsetof(struct dns_config, metrics_file),
	    0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static void *
dns_config_open(void *ctx, const char *arg, char *err, size_t errlen)
{
	return ctx;
}

static const struct conf_section dns_sections[] = {
	{ "zone", 0, dns_zone_keys, dns_config_open },
	{ "metrics", 0, dns_metrics_keys, dns_config_open },
	{ NULL, 0, NULL, NULL }
};

void
dns_config_init(struct dns_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->www = 1;
	cfg->ttl = DNS_TTL_DEFAULT;
}

int
dns_config_load(const char *path, struct dns_config *cfg, char *err,
    size_t errlen)
{
	return conf_load(path, dns_sections, cfg, err, errlen);
}

void
dns_config_free(struct dns_config *cfg)
{
	conf_free_fields(dns_zone_keys, cfg);
	conf_free_fields(dns_metrics_keys, cfg);
}
