/* status.c - foobar-cluster status: every host and role, and what this
 * host can see: HAProxy's view of the web hosts (its admin socket), where
 * the vip is, whether the vip answers, whether the database does. */
#include "cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"

#define DB_CNF "/etc/foobar/db.cnf"

/* Connects fd to sa within ms milliseconds. Returns 0 or -1. */
static int
connect_within(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	socklen_t elen = sizeof(int);
	int e = 0;

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -1;
	if (poll(&pfd, 1, ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 || e != 0)
		return -1;
	return 0;
}

static void
show_server(void *arg, const char *sv, const char *status)
{
	int *bad = arg;

	printf("  haproxy: server %s %s\n", sv, status);
	if (strcmp(status, "UP") != 0 && strcmp(status, "no check") != 0)
		*bad = 1;
}

static int
status_lb(const struct cluster *c)
{
	char *csv = sys_haproxy_ask("show stat\n");
	int bad = 0, n;

	if (csv == NULL) {
		printf("  haproxy: no answer on %s: %s\n", SYS_HAPROXY_SOCK,
		    strerror(errno));
		return 1;
	}
	n = stat_servers(csv, "web", show_server, &bad);
	free(csv);
	if (n <= 0) {
		printf("  haproxy: no backend web in its configuration\n");
		return 1;
	}
	if (c->vip.addr.set)
		printf("  keepalived: vip %s %s this host\n",
		    c->vip.addr.text, sys_addr_local(&c->vip.addr.a) ? "is on" :
		    "is not on");
	return bad;
}

/* Each db host's node, as its check tells it; degraded unless every
 * one is Synced in a primary component of all the members (the db hosts
 * and the arbitrators, which have no check of their own: the cluster's
 * size counts them). */
static int
status_galera(const struct cluster *c)
{
	const struct cluster_host *h;
	char body[2048], st[64], cs[64], size[16], err[128];
	size_t i, n = cluster_count(c, ROLE_DB), synced = 0;
	size_t members = cluster_count(c, GALERA_MEMBERS), largest = 0;
	int code, quorum = 0, bad = 0;
	long long sz;

	for (i = 0; (h = cluster_nth(c, ROLE_DB, i)) != NULL; i++) {
		code = galera_ask(&h->address.a, "/", 2000, body,
		    sizeof(body));
		if (code == -1) {
			printf("  galera: %s: no answer on port %d\n", h->name,
			    GALERA_CHECK_PORT);
			bad = 1;
			continue;
		}
		if (!galera_field(body, "local_state_comment", st,
		    sizeof(st)))
			snprintf(st, sizeof(st), "server down");
		if (!galera_field(body, "cluster_status", cs, sizeof(cs)))
			snprintf(cs, sizeof(cs), "-");
		if (!galera_field(body, "cluster_size", size, sizeof(size)))
			snprintf(size, sizeof(size), "-");
		printf("  galera: %s: %s, component %s, size %s\n", h->name, st,
		    cs, size);
		/* "-" (not told) or not a count: no members */
		if (conf_parse_int(size, 0, CLUSTER_MAX_HOSTS, &sz, err,
		    sizeof(err)) == -1)
			sz = 0;
		if (code == 200)
			synced++;
		if (code == 200 && (size_t)sz > largest)
			largest = (size_t)sz;
		if (strcmp(cs, "Primary") == 0 && (size_t)sz * 2 > members)
			quorum = 1;
		if (code != 200 || (size_t)sz != members)
			bad = 1;
	}
	for (i = 0; (h = cluster_nth(c, ROLE_ARB, i)) != NULL; i++)
		printf("  galera: %s: arbitrator (garbd), %s\n", h->name,
		    largest == members ? "counted in the cluster's size" :
		    "the cluster's size is short of a member");
	printf("  galera: %zu of %zu nodes synced, %zu of %zu members, "
	    "quorum %s\n", synced, n, largest, members, quorum ? "yes" :
	    "NO");
	return bad || !quorum;
}

static void
show_writer(void *arg, const char *sv, const char *status)
{
	int *bad = arg;

	printf("  haproxy: galera server %s %s\n", sv, status);
	if (strcmp(status, "UP") != 0)
		*bad = 1;
}

/* This web host's path to the cluster (its HAProxy, listen galera). */
static int
status_writer(void)
{
	char *csv = sys_haproxy_ask("show stat\n");
	int bad = 0;

	if (csv == NULL) {
		printf("  haproxy: no answer on %s: %s\n", SYS_HAPROXY_SOCK,
		    strerror(errno));
		return 1;
	}
	if (stat_servers(csv, "galera", show_writer, &bad) <= 0)
		bad = 1;
	free(csv);
	return bad;
}

static int
status_db(void)
{
	struct db_opts o = { DB_CNF, "foobar", 3, 3, 3, NULL, NULL };
	enum db_fail fail;
	char err[512];
	struct db *db;

	if ((db = db_open(&o, err, sizeof(err), &fail)) == NULL) {
		printf("  database: unreachable with %s: %s\n", DB_CNF, err);
		return 1;
	}
	printf("  database: reachable, MariaDB %s\n", db_server_info(db));
	db_close(db);
	return 0;
}

static int
status_vip(const struct cluster *c)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons(80), .sin_addr = c->vip.addr.a };
	int fd, ok;

	if (!c->vip.addr.set)
		return 0;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ok = fd != -1 && connect_within(fd, (struct sockaddr *)&sin,
	    sizeof(sin), 2000) == 0;
	if (fd != -1)
		close(fd);
	printf("vip %s/%d: %s on port 80\n", c->vip.addr.text, c->vip.prefix,
	    ok ? "answers" : "does NOT answer");
	return !ok;
}

static int
unit_active(const char *unit)
{
	char *argv[] = { "/bin/systemctl", "is-active", "--quiet",
		(char *)unit, NULL };

	if (sys_run(argv, NULL, NULL, 0) == 0) {
		printf("  %s: active\n", unit);
		return 0;
	}
	printf("  %s: NOT active\n", unit);
	return 1;
}

static int
status_self(const struct cluster *c, const struct cluster_host *self)
{
	int bad = 0;

	printf("this host: %s\n", self->name);
	if (self->roles & ROLE_LB) {
		bad |= unit_active("haproxy.service");
		if (c->vip.addr.set)
			bad |= unit_active("keepalived.service");
		bad |= status_lb(c);
	}
	if (self->roles & ROLE_WEB) {
		bad |= unit_active("foobar-webd.service");
		bad |= unit_active("foobar-appd.service");
		if (cluster_galera(c))
			bad |= status_writer();
		bad |= status_db();
	}
	if (self->roles & ROLE_DB)
		bad |= unit_active("mariadb.service");
	if (self->roles & ROLE_ARB)
		bad |= unit_active("garb.service");
	if ((self->roles & (GALERA_MEMBERS | ROLE_WEB)) && cluster_galera(c))
		bad |= status_galera(c);
	bad |= unit_active("foobar-firewall.service");
	return bad;
}

int
cluster_status(const struct cluster *c, const char *force_host)
{
	const struct cluster_host *self;
	char ifname[64], err[512], roles[32];
	int bad = 0;
	size_t i;

	printf("cluster %s: %zu hosts, vip %s\n", c->name, c->nhosts,
	    c->vip.addr.set ? c->vip.addr.text : "none");
	for (i = 0; i < c->nhosts; i++)
		printf("host %s %s: %s\n", c->hosts[i].name,
		    c->hosts[i].address.text, cluster_roles_text(
		    c->hosts[i].roles, roles, sizeof(roles)));
	self = sys_whoami(c, force_host, ifname, sizeof(ifname), err,
	    sizeof(err));
	if (self == NULL) {
		printf("this host: not in the cluster (%s)\n", err);
		bad = 1;
	} else {
		bad |= status_self(c, self);
	}
	if (self == NULL || !(self->roles & ROLE_LB))
		printf("haproxy: not on this host; run status on an lb host "
		    "for its view of the web hosts\n");
	bad |= status_vip(c);
	printf("status: %s\n", bad ? "DEGRADED" : "ok");
	return bad ? 1 : 0;
}
