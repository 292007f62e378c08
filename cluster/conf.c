/* conf.c - cluster.conf: read with the shared INI loader, then checked as
 * a whole (roles, addresses, the vip's subnet). No I/O but the file. */
#include "cluster.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static const char *const role_names[CLUSTER_NROLES] = { "lb", "web", "db",
	"arbitrator" };

static int
name_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	return i > 0 && i <= max;
}

static int
addr_parse(struct cluster_addr *a, const char *s, char *err, size_t errlen)
{
	uint32_t h;

	if (a->set) {
		snprintf(err, errlen, "address given twice");
		return -1;
	}
	if (inet_pton(AF_INET, s, &a->a) != 1) {
		snprintf(err, errlen, "\"%s\" is not an IPv4 address", s);
		return -1;
	}
	h = ntohl(a->a.s_addr);
	if (h == 0 || h == 0xffffffffu || (h >> 28) == 0xe) {
		snprintf(err, errlen, "%s cannot be a host's address", s);
		return -1;
	}
	inet_ntop(AF_INET, &a->a, a->text, sizeof(a->text));
	a->set = 1;
	return 0;
}

static int
parse_address(void *field, const char *value, char *err, size_t errlen)
{
	return addr_parse(field, value, err, errlen);
}

static int
parse_vip(void *field, const char *value, char *err, size_t errlen)
{
	struct cluster_cidr *v = field;
	char ip[INET_ADDRSTRLEN + 1];
	const char *slash = strchr(value, '/');
	long long prefix;
	size_t n;

	if (slash == NULL) {
		snprintf(err, errlen, "vip \"%s\" needs a prefix length, "
		    "e.g. 10.20.0.10/24", value);
		return -1;
	}
	n = (size_t)(slash - value);
	if (n >= sizeof(ip)) {
		snprintf(err, errlen, "\"%s\" is not an IPv4 address", value);
		return -1;
	}
	memcpy(ip, value, n);
	ip[n] = '\0';
	if (conf_parse_int(slash + 1, 8, 30, &prefix, err, errlen) == -1)
		return -1;
	if (addr_parse(&v->addr, ip, err, errlen) == -1)
		return -1;
	v->prefix = (int)prefix;
	return 0;
}

static int
parse_roles(void *field, const char *value, char *err, size_t errlen)
{
	struct cluster_host *h = (struct cluster_host *)((char *)field -
	    offsetof(struct cluster_host, roles));
	char word[16];
	size_t i, n;

	if (h->roles_set) {
		snprintf(err, errlen, "roles given twice");
		return -1;
	}
	while (*value != '\0') {
		n = strcspn(value, ", \t");
		if (n == 0) {
			value++;
			continue;
		}
		snprintf(word, sizeof(word), "%.*s", (int)n, value);
		for (i = 0; i < CLUSTER_NROLES; i++)
			if (n == strlen(role_names[i]) &&
			    strncmp(value, role_names[i], n) == 0)
				break;
		if (i == CLUSTER_NROLES) {
			snprintf(err, errlen, "unknown role \"%s\" (lb, web, "
			    "db or arbitrator)", word);
			return -1;
		}
		h->roles |= 1u << i;
		value += n;
	}
	if (h->roles == 0) {
		snprintf(err, errlen, "roles: give at least one of lb, web, "
		    "db, arbitrator");
		return -1;
	}
	h->roles_set = 1;
	return 0;
}

#define CL_OFF(f) offsetof(struct cluster, f)
#define HO_OFF(f) offsetof(struct cluster_host, f)

static const struct conf_key cluster_keys[] = {
	{ "name", CONF_STRING, CL_OFF(name), 0, 0, NULL },
	{ "vip", CONF_CUSTOM, CL_OFF(vip), 0, 0, parse_vip },
	{ "secret_file", CONF_STRING, CL_OFF(secret_file), 0, 0, NULL },
	{ "tls_ca", CONF_STRING, CL_OFF(tls_ca), 0, 0, NULL },
	{ "vrrp_id", CONF_INT, CL_OFF(vrrp_id), 1, 255, NULL },
	{ "advert_int", CONF_DURATION, CL_OFF(advert_int), 100, 10000, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key host_keys[] = {
	{ "address", CONF_CUSTOM, HO_OFF(address), 0, 0, parse_address },
	{ "roles", CONF_CUSTOM, HO_OFF(roles), 0, 0, parse_roles },
	{ "tls_cert", CONF_STRING, HO_OFF(tls_cert), 0, 0, NULL },
	{ "tls_key", CONF_STRING, HO_OFF(tls_key), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static void *
open_cluster(void *ctx, const char *arg, char *err, size_t errlen)
{
	return ctx;
}

static void *
open_host(void *ctx, const char *arg, char *err, size_t errlen)
{
	struct cluster *c = ctx;
	struct cluster_host *h;

	if (!name_ok(arg, 32)) {
		snprintf(err, errlen, "host name \"%s\": 1 to 32 letters, "
		    "digits, - or _", arg);
		return NULL;
	}
	if (cluster_host_by_name(c, arg) != NULL) {
		snprintf(err, errlen, "duplicate host %s", arg);
		return NULL;
	}
	if (c->nhosts == CLUSTER_MAX_HOSTS) {
		snprintf(err, errlen, "more than %d hosts", CLUSTER_MAX_HOSTS);
		return NULL;
	}
	h = &c->hosts[c->nhosts];
	if ((h->name = strdup(arg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->nhosts++;
	return h;
}

static const struct conf_section sections[] = {
	{ "cluster", 0, cluster_keys, open_cluster },
	{ "host", 1, host_keys, open_host },
	{ NULL, 0, NULL, NULL }
};

const struct cluster_host *
cluster_host_by_name(const struct cluster *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nhosts; i++)
		if (strcmp(c->hosts[i].name, name) == 0)
			return &c->hosts[i];
	return NULL;
}

size_t
cluster_count(const struct cluster *c, unsigned role)
{
	size_t i, n = 0;

	for (i = 0; i < c->nhosts; i++)
		if (c->hosts[i].roles & role)
			n++;
	return n;
}

int
cluster_galera(const struct cluster *c)
{
	size_t db = cluster_count(c, ROLE_DB);

	return db >= 3 || (db == 2 && cluster_count(c, ROLE_ARB) > 0);
}

const struct cluster_host *
cluster_nth(const struct cluster *c, unsigned role, size_t nth)
{
	size_t i;

	for (i = 0; i < c->nhosts; i++)
		if ((c->hosts[i].roles & role) && nth-- == 0)
			return &c->hosts[i];
	return NULL;
}

const char *
cluster_roles_text(unsigned mask, char *buf, size_t buflen)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < CLUSTER_NROLES; i++)
		if ((mask & (1u << i)) && off < buflen)
			off += (size_t)snprintf(buf + off, buflen - off, "%s%s",
			    off > 0 ? ", " : "", role_names[i]);
	return buf;
}

void
cluster_where(const struct cluster *c, const struct cluster_host *h,
    const char *key, char *out, size_t outlen)
{
	char section[64];
	int line;

	if (h != NULL)
		snprintf(section, sizeof(section), "host %s", h->name);
	else
		snprintf(section, sizeof(section), "cluster");
	line = conf_key_line(c->path, section, key, 0);
	if (line == 0 && h != NULL)
		line = conf_key_line(c->path, section,
		    h->address.set ? "address" : "roles", 0);
	if (line > 0)
		snprintf(out, outlen, "%s:%d", c->path, line);
	else
		snprintf(out, outlen, "%s", c->path);
}

static int
in_subnet(const struct cluster_cidr *net, const struct in_addr *a)
{
	uint32_t mask = net->prefix == 0 ? 0 :
	    0xffffffffu << (32 - net->prefix);

	return (ntohl(net->addr.a.s_addr) & mask) == (ntohl(a->s_addr) & mask);
}

static int
check_hosts(const struct cluster *c, char *err, size_t errlen)
{
	char at[300];
	size_t i, j;

	for (i = 0; i < c->nhosts; i++) {
		const struct cluster_host *h = &c->hosts[i];

		cluster_where(c, h, h->address.set ? "roles" : "address", at,
		    sizeof(at));
		if (!h->address.set || !h->roles_set) {
			snprintf(err, errlen, "%s: host %s has no %s", at,
			    h->name, h->address.set ? "roles" : "address");
			return -1;
		}
		if ((h->roles & ROLE_LB) && (h->roles & ROLE_WEB)) {
			snprintf(err, errlen, "%s: host %s: roles lb and web "
			    "cannot share a host (both serve port 80)", at,
			    h->name);
			return -1;
		}
		if ((h->roles & ROLE_DB) && (h->roles & ROLE_ARB)) {
			snprintf(err, errlen, "%s: host %s: roles db and "
			    "arbitrator cannot share a host (the arbitrator is "
			    "the vote of another host)", at, h->name);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (c->hosts[j].address.a.s_addr == h->address.a.s_addr)
				break;
		if (j < i) {
			cluster_where(c, h, "address", at, sizeof(at));
			snprintf(err, errlen, "%s: host %s has the address of "
			    "host %s (%s)", at, h->name, c->hosts[j].name,
			    h->address.text);
			return -1;
		}
	}
	return 0;
}

/* Galera needs a majority of its members (db and arbitrator hosts):
 * two alone lose it when either fails, and an arbitrator is there to
 * make the count odd. */
static int
check_votes(const struct cluster *c, char *err, size_t errlen)
{
	size_t db = cluster_count(c, ROLE_DB), arb = cluster_count(c, ROLE_ARB);
	char at[300];

	if (arb > 0 && db < 2) {
		cluster_where(c, cluster_nth(c, ROLE_ARB, 0), "roles", at,
		    sizeof(at));
		snprintf(err, errlen, "%s: an arbitrator needs a Galera "
		    "cluster: two db hosts or more (found %zu)", at, db);
		return -1;
	}
	if (arb > 0 && (db + arb) % 2 == 0) {
		cluster_where(c, cluster_nth(c, ROLE_ARB, arb - 1), "roles",
		    at, sizeof(at));
		snprintf(err, errlen, "%s: %zu db and %zu arbitrator hosts "
		    "make an even number of Galera members: a split in two "
		    "halves stops writes (use an odd number)", at, db, arb);
		return -1;
	}
	if (db == 2 && arb == 0) {
		cluster_where(c, cluster_nth(c, ROLE_DB, 1), "roles", at,
		    sizeof(at));
		snprintf(err, errlen, "%s: two db hosts: a Galera cluster "
		    "needs three (or two and an arbitrator host), else losing "
		    "either stops writes", at);
		return -1;
	}
	return 0;
}

static int
check_roles(const struct cluster *c, char *err, size_t errlen)
{
	static const unsigned need[] = { ROLE_LB, ROLE_WEB, ROLE_DB };
	char names[32];
	size_t i;

	if (c->nhosts == 0) {
		snprintf(err, errlen, "%s: no [host NAME] section", c->path);
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (cluster_count(c, need[i]) == 0) {
			snprintf(err, errlen, "%s: no host has the role %s",
			    c->path, cluster_roles_text(need[i], names,
			    sizeof(names)));
			return -1;
		}
	return check_votes(c, err, errlen);
}

static int
check_vip(const struct cluster *c, char *err, size_t errlen)
{
	const struct cluster_host *h;
	char at[300];
	size_t i;

	if (!c->vip.addr.set)
		return 0;
	cluster_where(c, NULL, "vip", at, sizeof(at));
	if (cluster_count(c, ROLE_LB) < 2) {
		snprintf(err, errlen, "%s: a vip needs at least two lb hosts "
		    "(found %zu)", at, cluster_count(c, ROLE_LB));
		return -1;
	}
	for (i = 0; i < c->nhosts; i++) {
		h = &c->hosts[i];
		if (h->address.a.s_addr == c->vip.addr.a.s_addr) {
			snprintf(err, errlen, "%s: vip %s is the address of "
			    "host %s", at, c->vip.addr.text, h->name);
			return -1;
		}
		if ((h->roles & ROLE_LB) && !in_subnet(&c->vip, &h->address.a)) {
			snprintf(err, errlen, "%s: vip %s/%d is not in the "
			    "subnet of lb host %s (%s)", at, c->vip.addr.text,
			    c->vip.prefix, h->name, h->address.text);
			return -1;
		}
	}
	return 0;
}

static int
check_cluster(struct cluster *c, char *err, size_t errlen)
{
	char at[300];

	if (c->name == NULL && (c->name = strdup("foobar")) == NULL)
		goto oom;
	if (c->secret_file == NULL &&
	    (c->secret_file = strdup("/etc/foobar/cluster.key")) == NULL)
		goto oom;
	if (c->vrrp_id == 0)
		c->vrrp_id = 51;
	if (c->advert_int == 0)
		c->advert_int = 1000;
	if (c->advert_int % 10 != 0) {
		cluster_where(c, NULL, "advert_int", at, sizeof(at));
		snprintf(err, errlen, "%s: advert_int: keepalived counts in "
		    "hundredths of a second", at);
		return -1;
	}
	if (!name_ok(c->name, 32)) {
		cluster_where(c, NULL, "name", at, sizeof(at));
		snprintf(err, errlen, "%s: name \"%s\": 1 to 32 letters, "
		    "digits, - or _", at, c->name);
		return -1;
	}
	if (c->secret_file[0] != '/') {
		cluster_where(c, NULL, "secret_file", at, sizeof(at));
		snprintf(err, errlen, "%s: secret_file must be an absolute "
		    "path", at);
		return -1;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", c->path);
	return -1;
}

static int
tls_path_ok(const struct cluster *c, const struct cluster_host *h,
    const char *key, const char *path, char *err, size_t errlen)
{
	char at[300];

	if (path == NULL || path[0] == '/')
		return 0;
	cluster_where(c, h, key, at, sizeof(at));
	snprintf(err, errlen, "%s: %s must be an absolute path", at, key);
	return -1;
}

/* The administrator's certificates: tls_ca in [cluster], and then
 * tls_cert and tls_key on every db and arbitrator host (apply cannot issue leaves
 * without the CA's key); none of them: apply derives the CA. */
static int
check_tls(const struct cluster *c, char *err, size_t errlen)
{
	char at[300];
	size_t i;

	if (tls_path_ok(c, NULL, "tls_ca", c->tls_ca, err, errlen) == -1)
		return -1;
	for (i = 0; i < c->nhosts; i++) {
		const struct cluster_host *h = &c->hosts[i];
		const char *lack = h->tls_cert == NULL ? "tls_cert" : "tls_key";

		if (tls_path_ok(c, h, "tls_cert", h->tls_cert, err,
		    errlen) == -1 || tls_path_ok(c, h, "tls_key", h->tls_key,
		    err, errlen) == -1)
			return -1;
		if ((h->tls_cert == NULL) != (h->tls_key == NULL)) {
			cluster_where(c, h, h->tls_cert ? "tls_cert" : "tls_key", at,
			    sizeof(at));
			snprintf(err, errlen, "%s: host %s: tls_cert and "
			    "tls_key go together (no %s)", at, h->name, lack);
			return -1;
		}
		if (h->tls_cert != NULL && c->tls_ca == NULL) {
			cluster_where(c, h, "tls_cert", at, sizeof(at));
			snprintf(err, errlen, "%s: host %s: tls_cert needs the "
			    "CA that issued it (tls_ca in [cluster])", at,
			    h->name);
			return -1;
		}
		if (h->tls_cert != NULL && !(h->roles & GALERA_MEMBERS)) {
			cluster_where(c, h, "tls_cert", at, sizeof(at));
			snprintf(err, errlen, "%s: host %s: tls_cert is for db "
			    "and arbitrator hosts only (the others are "
			    "clients)", at, h->name);
			return -1;
		}
		if (c->tls_ca != NULL && (h->roles & GALERA_MEMBERS) &&
		    h->tls_cert == NULL) {
			cluster_where(c, h, "roles", at, sizeof(at));
			snprintf(err, errlen, "%s: %s host %s has no tls_cert "
			    "and tls_key: with tls_ca in [cluster], every db "
			    "and arbitrator host needs its own", at,
			    (h->roles & ROLE_DB) ? "db" : "arbitrator",
			    h->name);
			return -1;
		}
	}
	return 0;
}

int
cluster_load(const char *path, struct cluster *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->path = path;
	if (conf_load(path, sections, c, err, errlen) == -1)
		return -1;
	if (check_cluster(c, err, errlen) == -1 ||
	    check_hosts(c, err, errlen) == -1 ||
	    check_roles(c, err, errlen) == -1 ||
	    check_vip(c, err, errlen) == -1 ||
	    check_tls(c, err, errlen) == -1)
		return -1;
	return 0;
}

void
cluster_free(struct cluster *c)
{
	size_t i;

	free(c->name);
	free(c->secret_file);
	free(c->tls_ca);
	for (i = 0; i < c->nhosts; i++) {
		free(c->hosts[i].name);
		free(c->hosts[i].tls_cert);
		free(c->hosts[i].tls_key);
	}
	memset(c, 0, sizeof(*c));
}
