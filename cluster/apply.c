/* apply.c - foobar-cluster apply and render: this host's files for its
 * roles, rendered in memory, compared with what is installed, validated
 * by the engine's own checker, installed atomically, and only what
 * changed reloaded. */
#include "cluster.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"

#define UNIT_DIR "/etc/systemd/system/"
#define DROPIN "/foobar-cluster.conf"

enum checker { CHK_NONE, CHK_HAPROXY, CHK_KEEPALIVED, CHK_NFT, CHK_WEBD };

enum act {
	ACT_HAPROXY = 1 << 0,
	ACT_KEEPALIVED = 1 << 1,
	ACT_NFT = 1 << 2,
	ACT_DAEMON_RELOAD = 1 << 3,
	ACT_WEBD_SOCKET = 1 << 4,
	ACT_WEBD_RESTART = 1 << 5,
	ACT_WEBD_RELOAD = 1 << 6,
	ACT_DBMIGRATE = 1 << 7,
	ACT_APPD = 1 << 8,
	ACT_MARIADB = 1 << 9,
	ACT_TLS = 1 << 10,	/* MariaDB and Galera load the certificate again */
	ACT_GARBD = 1 << 11	/* the arbitrator restarts */
};

struct file {
	const char *path;
	char *text;
	unsigned mode;
	const char *group;	/* NULL: root */
	enum checker check;
	unsigned acts;		/* enum act: what to do when it changed */
};

#define MAX_FILES 16

struct plan {
	struct file f[MAX_FILES];
	size_t n;
	char *sql;		/* db role: users and database */
	int oom;
};

static void
plan_add(struct plan *p, const char *path, char *text, unsigned mode,
    const char *group, enum checker check, unsigned acts)
{
	if (text == NULL) {
		p->oom = 1;
		return;
	}
	p->f[p->n++] = (struct file){ path, text, mode, group, check, acts };
}

static void
plan_web(struct plan *p, const struct render_ctx *r, const char *webd_conf)
{
	char *webd = sys_slurp(webd_conf);

	plan_add(p, "/etc/foobar/db.cnf", render_db_cnf(r), 0640, "foobar",
	    CHK_NONE, ACT_DBMIGRATE | ACT_APPD);
	if (webd == NULL) {
		fprintf(stderr, "foobar-cluster: %s: %s (is foobar-webd "
		    "installed?)\n", webd_conf, strerror(errno));
		p->oom = 1;
	} else {
		plan_add(p, "/etc/foobar/cluster/webd.conf",
		    render_webd_conf(r, webd), 0644, NULL, CHK_WEBD,
		    ACT_WEBD_RELOAD);
		free(webd);
	}
	if (cluster_galera(r->c))
		plan_add(p, "/etc/haproxy/haproxy.cfg", render_haproxy(r),
		    0644, NULL, CHK_HAPROXY, ACT_HAPROXY);
	plan_add(p, UNIT_DIR "foobar-webd.socket.d" DROPIN,
	    render_webd_socket(r), 0644, NULL, CHK_NONE,
	    ACT_DAEMON_RELOAD | ACT_WEBD_SOCKET);
	plan_add(p, UNIT_DIR "foobar-webd.service.d" DROPIN,
	    render_webd_service(r), 0644, NULL, CHK_NONE,
	    ACT_DAEMON_RELOAD | ACT_WEBD_RESTART);
	plan_add(p, UNIT_DIR "foobar-appd.service.d" DROPIN,
	    render_db_client_dropin(r), 0644, NULL, CHK_NONE,
	    ACT_DAEMON_RELOAD | ACT_APPD);
	plan_add(p, UNIT_DIR "foobar-dbmigrate.service.d" DROPIN,
	    render_db_client_dropin(r), 0644, NULL, CHK_NONE,
	    ACT_DAEMON_RELOAD | ACT_DBMIGRATE);
	/* foobar-backup.timer's runs reach the database the same way */
	plan_add(p, UNIT_DIR "foobar-backup.service.d" DROPIN,
	    render_db_client_dropin(r), 0644, NULL, CHK_NONE,
	    ACT_DAEMON_RELOAD);
}

/* The certificates (taken from cc) before the configs that name them:
 * the CA on every host that uses the database or is in the Galera
 * cluster, a member's own certificate and key (readable by MariaDB on a
 * db host; root's only on an arbitrator, whose garbd gets it from
 * systemd). */
static void
plan_tls(struct plan *p, const struct render_ctx *r, struct cluster_certs *cc)
{
	unsigned roles = r->self->roles, acts = 0;

	if (roles & ROLE_DB)
		acts |= ACT_TLS;
	if (roles & ROLE_ARB)
		acts |= ACT_GARBD;
	if (roles & ROLE_WEB)
		acts |= ACT_DBMIGRATE | ACT_APPD;
	if (acts == 0)
		return;
	plan_add(p, TLS_CA_FILE, cc->ca, 0644, NULL, CHK_NONE, acts);
	cc->ca = NULL;
	if (!(roles & GALERA_MEMBERS))
		return;
	plan_add(p, TLS_CERT_FILE, cc->cert, 0644, NULL, CHK_NONE, acts);
	plan_add(p, TLS_KEY_FILE, cc->key, (roles & ROLE_DB) ? 0640 : 0600,
	    (roles & ROLE_DB) ? "mysql" : NULL, CHK_NONE, acts);
	cc->cert = cc->key = NULL;
}

/* Every file this host gets, in the order they are installed. */
static void
plan_build(struct plan *p, const struct render_ctx *r, const char *webd_conf,
    struct cluster_certs *cc)
{
	unsigned roles = r->self->roles;

	memset(p, 0, sizeof(*p));
	plan_add(p, "/etc/foobar/cluster/firewall.nft", render_nft(r), 0644,
	    NULL, CHK_NFT, ACT_NFT);
	plan_tls(p, r, cc);
	if (roles & ROLE_DB) {
		plan_add(p, "/etc/mysql/mariadb.conf.d/60-foobar-cluster.cnf",
		    render_mariadb_cnf(r), 0644, NULL, CHK_NONE, ACT_MARIADB);
		if ((p->sql = render_db_sql(r)) == NULL)
			p->oom = 1;
	}
	if (roles & ROLE_ARB)
		plan_add(p, UNIT_DIR "garb.service.d" DROPIN,
		    render_garb_dropin(r), 0644, NULL, CHK_NONE,
		    ACT_DAEMON_RELOAD | ACT_GARBD);
	if (roles & ROLE_WEB)
		plan_web(p, r, webd_conf);
	if (roles & ROLE_LB) {
		plan_add(p, "/etc/haproxy/haproxy.cfg", render_haproxy(r),
		    0644, NULL, CHK_HAPROXY, ACT_HAPROXY);
		if (r->c->vip.addr.set)
			plan_add(p, "/etc/keepalived/keepalived.conf",
			    render_keepalived(r), 0640, NULL, CHK_KEEPALIVED,
			    ACT_KEEPALIVED);
	}
}

static void
plan_free(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		explicit_bzero(p->f[i].text, strlen(p->f[i].text));
		free(p->f[i].text);
	}
	free(p->sql);
}

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	/* a drop-in is named by its folder: foobar-appd.service.d/... */
	if (s != NULL && strcmp(s, DROPIN) == 0) {
		const char *d = s;

		while (d > path && d[-1] != '/')
			d--;
		return d;
	}
	return s != NULL ? s + 1 : path;
}

/* Runs the engine's checker on tmp. Returns 0, or -1 after printing why. */
static int
check_file(const struct file *f, const char *tmp)
{
	char *hap[] = { "/usr/sbin/haproxy", "-c", "-q", "-f", (char *)tmp,
		NULL };
	char *ka[] = { "/usr/sbin/keepalived", "-t", "-f", (char *)tmp, NULL };
	char *nft[] = { "/usr/sbin/nft", "-c", "-f", (char *)tmp, NULL };
	char *webd[] = { "/usr/sbin/foobar-webd", "-t", "-c", (char *)tmp,
		NULL };
	char *const *argv = f->check == CHK_HAPROXY ? hap :
	    f->check == CHK_KEEPALIVED ? ka : f->check == CHK_NFT ? nft : webd;
	char out[4096];

	if (f->check == CHK_NONE)
		return 0;
	if (sys_run(argv, NULL, out, sizeof(out)) == 0)
		return 0;
	fprintf(stderr, "foobar-cluster: %s: %s refused the new file (kept "
	    "the old one):\n%s", f->path, argv[0], out);
	if (out[0] != '\0' && out[strlen(out) - 1] != '\n')
		fputc('\n', stderr);
	return -1;
}

static long
group_id(const char *name)
{
	struct group *g;

	if (name == NULL)
		return -1;
	g = getgrnam(name);
	return g != NULL ? (long)g->gr_gid : -2;
}

/* 1 installed (changed), 0 unchanged, -1 failed. */
static int
install(const struct file *f)
{
	char tmp[4200], err[512];
	long gid = group_id(f->group);
	int same = sys_same(f->path, f->text);

	if (same == 1) {
		printf("%s: unchanged\n", base(f->path));
		return 0;
	}
	if (gid == -2) {
		fprintf(stderr, "foobar-cluster: %s: no group %s\n", f->path,
		    f->group);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.foobar-check", f->path);
	if (sys_write(tmp, f->text, f->mode, gid, err, sizeof(err)) == -1) {
		fprintf(stderr, "foobar-cluster: %s\n", err);
		return -1;
	}
	if (check_file(f, tmp) == -1) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, f->path) == -1) {
		fprintf(stderr, "foobar-cluster: rename %s: %s\n", f->path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	printf("%s: written\n", base(f->path));
	return 1;
}

/* systemctl VERB UNIT...; prints what it did. Returns 0 or -1. */
static int
systemctl(const char *verb, const char *unit, const char *unit2)
{
	char *argv[] = { "/bin/systemctl", (char *)verb, (char *)unit,
		(char *)unit2, NULL };
	char out[2048];

	if (sys_run(argv, NULL, out, sizeof(out)) == 0) {
		if (unit != NULL && strcmp(verb, "enable") != 0 &&
		    strcmp(verb, "disable") != 0 &&
		    strcmp(verb, "is-active") != 0)
			printf("%s: %s%s%s\n", unit, verb,
			    unit2 ? " with " : "", unit2 ? unit2 : "");
		return 0;
	}
	if (strcmp(verb, "is-active") != 0)
		fprintf(stderr, "foobar-cluster: systemctl %s %s%s%s failed:"
		    "\n%s\n", verb, unit ? unit : "", unit2 ? " " : "",
		    unit2 ? unit2 : "", out);
	return -1;
}

/* Reloads (or starts) unit when changed; starts it when it is down. */
static int
engine(const char *unit, int changed, const char *verb)
{
	if (changed) {
		(void)systemctl("enable", unit, NULL);
		return systemctl(verb, unit, NULL);
	}
	if (systemctl("is-active", unit, NULL) == 0)
		return 0;
	(void)systemctl("enable", unit, NULL);
	return systemctl("start", unit, NULL);
}

/* The table is loaded by foobar-firewall.service (at boot too): reloaded
 * when the file changed, started when down or when the table is gone
 * (restarting Debian's nftables.service flushes every table). */
static int
firewall(int changed)
{
	char *list[] = { "/usr/sbin/nft", "list", "table", "inet", "foobar",
		NULL };

	(void)systemctl("enable", "foobar-firewall.service", NULL);
	if (!changed && systemctl("is-active", "foobar-firewall.service",
	    NULL) == 0 && sys_run(list, NULL, NULL, 0) == 0)
		return 0;
	return systemctl("reload-or-restart", "foobar-firewall.service", NULL);
}

/* Restarts unit when changed, or starts it when it is not active (a run
 * that failed before, e.g. the database was not there yet). */
static int
web_unit(const char *unit, int changed)
{
	if (!changed && systemctl("is-active", unit, NULL) == 0)
		return 0;
	return systemctl("restart", unit, NULL);
}

static int
web_actions(const struct cluster *c, unsigned acts)
{
	int rc = 0;

	/* the path to the Galera cluster before what uses it */
	if (cluster_galera(c) && engine("haproxy.service",
	    acts & ACT_HAPROXY, "reload-or-restart") == -1)
		rc = -1;
	if (web_unit("foobar-dbmigrate.service", acts & ACT_DBMIGRATE) == -1)
		rc = -1;
	if (web_unit("foobar-appd.service", acts & ACT_APPD) == -1)
		rc = -1;
	if (acts & ACT_WEBD_SOCKET) {
		if (systemctl("restart", "foobar-webd.socket",
		    "foobar-webd.service") == -1)
			rc = -1;
	} else if ((acts & ACT_WEBD_RELOAD) && !(acts & ACT_WEBD_RESTART)) {
		if (systemctl("reload-or-restart", "foobar-webd.service",
		    NULL) == -1)
			rc = -1;
	} else if (web_unit("foobar-webd.service", acts & ACT_WEBD_RESTART) ==
	    -1) {
		rc = -1;
	}
	return rc;
}

/* Stale 'foobar'@'addr' users: of addresses no longer a web host. */
static char *
db_stale_sql(const struct cluster *c, char *hosts)
{
	size_t i, len = 0, cap = 1;
	char *sql = calloc(1, 1), *line, *save = NULL, *np;

	for (line = strtok_r(hosts, "\n", &save); line != NULL && sql != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		int keep = strspn(line, "0123456789.") != strlen(line);

		for (i = 0; i < c->nhosts && !keep; i++)
			keep = (c->hosts[i].roles & ROLE_WEB) &&
			    strcmp(c->hosts[i].address.text, line) == 0;
		if (keep)
			continue;
		cap += strlen(line) + 40;
		if ((np = realloc(sql, cap)) == NULL) {
			free(sql);
			return NULL;
		}
		sql = np;
		len += (size_t)snprintf(sql + len, cap - len,
		    "DROP USER 'foobar'@'%s';\n", line);
		printf("db: user foobar@%s dropped (not a web host)\n", line);
	}
	return sql;
}

static int
db_users(const struct cluster *c, const char *sql)
{
	char *client[] = { "/usr/bin/mariadb", "--protocol=socket", "-uroot",
		"--batch", "--skip-column-names", NULL };
	char out[8192];
	char *stale;
	int rc;

	if (sys_run(client, sql, out, sizeof(out)) != 0) {
		fprintf(stderr, "foobar-cluster: mariadb: %s\n", out);
		return -1;
	}
	rc = sys_run(client, "SELECT Host FROM mysql.user WHERE User = "
	    "'foobar';\n", out, sizeof(out));
	if (rc != 0 || (stale = db_stale_sql(c, out)) == NULL) {
		fprintf(stderr, "foobar-cluster: mariadb: %s\n", out);
		return -1;
	}
	if (stale[0] != '\0' && sys_run(client, stale, out, sizeof(out)) != 0)
		fprintf(stderr, "foobar-cluster: mariadb: %s\n", out);
	free(stale);
	printf("db: database foobar and users for %zu web hosts in place\n",
	    cluster_count(c, ROLE_WEB));
	return 0;
}

/* Port 80 is HAProxy's on an lb host: a foobar-webd installed there too
 * (its socket listens on port 80; its enabled service pulls the socket
 * in at boot) is stopped and disabled. */
static void
lb_free_port80(void)
{
	char *enabled[] = { "/bin/systemctl", "is-enabled", "--quiet",
		"foobar-webd.socket", "foobar-webd.service", NULL };
	char *active[] = { "/bin/systemctl", "is-active", "--quiet",
		"foobar-webd.socket", "foobar-webd.service", NULL };
	char *off[] = { "/bin/systemctl", "disable", "--now",
		"foobar-webd.socket", "foobar-webd.service", NULL };
	char out[2048];

	/* with several units, is-enabled/is-active fail only when none is */
	if (sys_run(enabled, NULL, NULL, 0) != 0 &&
	    sys_run(active, NULL, NULL, 0) != 0)
		return;
	if (sys_run(off, NULL, out, sizeof(out)) == 0)
		printf("foobar-webd: stopped and disabled (port 80 is "
		    "HAProxy's on an lb host)\n");
	else
		fprintf(stderr, "foobar-cluster: systemctl disable --now "
		    "foobar-webd.socket foobar-webd.service:\n%s\n", out);
}

struct served {
	const struct cluster *c;
	size_t n;
};

/* Counts the checked servers (named as the web hosts; not their unchecked
 * -all-down backups). */
static void
count_server(void *arg, const char *sv, const char *status)
{
	struct served *sd = arg;
	const struct cluster_host *h;
	size_t i;

	for (i = 0; (h = cluster_nth(sd->c, ROLE_WEB, i)) != NULL; i++)
		if (strcmp(h->name, sv) == 0) {
			sd->n++;
			return;
		}
}

/* 1 when HAProxy's admin socket shows every web host as a server of
 * backend web, trying for tries tenths of a second; 0 when not. */
static int
haproxy_serves(const struct cluster *c, int tries)
{
	struct served sd;
	char *csv;

	while (tries-- > 0) {
		sd.c = c;
		sd.n = 0;
		if ((csv = sys_haproxy_ask("show stat\n")) != NULL) {
			(void)stat_servers(csv, "web", count_server, &sd);
			free(csv);
		}
		if (sd.n == cluster_count(c, ROLE_WEB))
			return 1;
		if (tries > 0)
			usleep(100 * 1000);
	}
	return 0;
}

/* Debian's reload checks the file and signals the master, which keeps
 * the old workers when the new ones cannot start (a port taken): HAProxy
 * must show every web host, else it is reloaded (once more) and the
 * failure reported. Returns 0 or -1. */
static int
haproxy_live(const struct cluster *c, int changed)
{
	if (haproxy_serves(c, changed ? 50 : 1))
		return 0;
	if (!changed && systemctl("reload-or-restart", "haproxy.service",
	    NULL) == 0 && haproxy_serves(c, 50))
		return 0;
	fprintf(stderr, "foobar-cluster: haproxy does not serve "
	    "/etc/haproxy/haproxy.cfg (see journalctl -u haproxy)\n");
	return -1;
}

/* A running MariaDB takes a new certificate without a restart: the
 * server's (FLUSH SSL) and, on a Galera node, Galera's. */
static int
db_tls_reload(const struct cluster *c)
{
	char *client[] = { "/usr/bin/mariadb", "--protocol=socket", "-uroot",
		"--batch", NULL };
	char out[2048];

	if (systemctl("is-active", "mariadb.service", NULL) == -1)
		return 0;
	if (sys_run(client, cluster_galera(c) ? "FLUSH SSL;\nSET GLOBAL "
	    "wsrep_provider_options = 'socket.ssl_reload=1';\n" :
	    "FLUSH SSL;\n", out, sizeof(out)) != 0) {
		fprintf(stderr, "foobar-cluster: mariadb: reloading the "
		    "certificate: %s\n", out);
		return -1;
	}
	printf("mariadb.service: certificate reloaded\n");
	return 0;
}

/* systemd has the node started once it joined, but it may still be
 * catching up (IST) and refuse queries ("WSREP has not yet prepared node
 * for application use"): waits until its check says Synced, 5 minutes at
 * most. Returns 0 or -1. */
static int
galera_wait_synced(const struct cluster_host *self)
{
	char body[2048];
	int i;

	for (i = 0; i < 600; i++) {
		if (galera_ask(&self->address.a, "/", 2000, body,
		    sizeof(body)) == 200) {
			if (i > 0)
				printf("mariadb.service: synced after %d.%d s\n",
				    i / 2, (i % 2) * 5);
			return 0;
		}
		usleep(500 * 1000);
	}
	fprintf(stderr, "foobar-cluster: mariadb.service: not synced after "
	    "5 minutes (see foobar-cluster status)\n");
	return -1;
}

/* A Galera node: its check first (the others and the web hosts ask it),
 * then MariaDB, started as a new cluster (bootstrap) or (re)started to
 * join one, which apply does only when there is one to join. Returns 0
 * or -1. */
static int
db_galera(const struct render_ctx *r, const struct apply_opts *o,
    unsigned acts)
{
	if (engine("foobar-galera-check.socket", 0, "restart") == -1)
		return -1;
	if (o->bootstrap)
		return galera_bootstrap(r->c, r->self, o->force);
	if (!(acts & ACT_MARIADB) &&
	    systemctl("is-active", "mariadb.service", NULL) == 0)
		return (acts & ACT_TLS) ? db_tls_reload(r->c) : 0;
	if (!galera_joinable(r->c, r->self))
		return -1;
	if (engine("mariadb.service", acts & ACT_MARIADB, "restart") == -1)
		return -1;
	return galera_wait_synced(r->self);
}

/* The Galera cluster's size as the db hosts' checks tell it: the largest
 * a synced node reports, 0 when none answers. */
static size_t
galera_size(const struct cluster *c)
{
	const struct cluster_host *h;
	char body[2048], size[16], err[128];
	size_t i, best = 0;
	long long n;

	for (i = 0; (h = cluster_nth(c, ROLE_DB, i)) != NULL; i++)
		if (galera_ask(&h->address.a, "/", 2000, body,
		    sizeof(body)) == 200 && galera_field(body, "cluster_size",
		    size, sizeof(size)) && conf_parse_int(size, 0,
		    CLUSTER_MAX_HOSTS, &n, err, sizeof(err)) == 0 &&
		    (size_t)n > best)
			best = (size_t)n;
	return best;
}

/* An arbitrator: garbd joins a running cluster (it holds no state to
 * start one), (re)started when its files changed or it is down; then the
 * cluster must count every member, within 20 s. Returns 0 or -1. */
static int
arbitrator(const struct cluster *c, const struct cluster_host *self,
    unsigned acts)
{
	size_t want = cluster_count(c, GALERA_MEMBERS), size = 0;
	int tries;

	if (!(acts & ACT_GARBD) &&
	    systemctl("is-active", "garb.service", NULL) == 0)
		return 0;
	if (!galera_joinable(c, self))
		return -1;
	(void)systemctl("enable", "garb.service", NULL);
	if (systemctl("restart", "garb.service", NULL) == -1)
		return -1;
	for (tries = 0; tries < 40; tries++) {
		if ((size = galera_size(c)) >= want)
			break;
		usleep(500 * 1000);
	}
	if (size < want) {
		fprintf(stderr, "foobar-cluster: garbd: the cluster counts %zu "
		    "of %zu members after 20 s (see journalctl -u garb)\n",
		    size, want);
		return -1;
	}
	printf("garbd: in the cluster, %zu members\n", size);
	return 0;
}

static int
run_actions(const struct render_ctx *r, const struct apply_opts *o,
    const struct plan *p, unsigned acts)
{
	int rc = 0;

	if ((acts & ACT_DAEMON_RELOAD) &&
	    systemctl("daemon-reload", NULL, NULL) == -1)
		rc = -1;
	if (firewall(acts & ACT_NFT) == -1)
		rc = -1;
	if ((r->self->roles & ROLE_DB) && cluster_galera(r->c)) {
		if (db_galera(r, o, acts) == -1 || db_users(r->c, p->sql) == -1)
			rc = -1;
	} else if (r->self->roles & ROLE_DB) {
		if ((acts & (ACT_TLS | ACT_MARIADB)) == ACT_TLS &&
		    db_tls_reload(r->c) == -1)
			rc = -1;
		if (engine("mariadb.service", acts & ACT_MARIADB,
		    "restart") == -1 || db_users(r->c, p->sql) == -1)
			rc = -1;
	}
	if ((r->self->roles & ROLE_ARB) && arbitrator(r->c, r->self,
	    acts) == -1)
		rc = -1;
	if ((r->self->roles & ROLE_WEB) && web_actions(r->c, acts) == -1)
		rc = -1;
	if (r->self->roles & ROLE_LB) {
		lb_free_port80();
		if (engine("haproxy.service", acts & ACT_HAPROXY,
		    "reload-or-restart") == -1 ||
		    haproxy_live(r->c, acts & ACT_HAPROXY) == -1)
			rc = -1;
		if (r->c->vip.addr.set && engine("keepalived.service",
		    acts & ACT_KEEPALIVED, "reload-or-restart") == -1)
			rc = -1;
	}
	return rc;
}

static int
ctx_init(struct render_ctx *r, const struct cluster *c, const char *force,
    struct cluster_secret *s, char *ifname, size_t iflen, char *db_pw,
    char *vrrp_pw)
{
	char err[1024];

	memset(r, 0, sizeof(*r));
	r->c = c;
	if (cluster_secret_read(c, s, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if ((r->self = sys_whoami(c, force, ifname, iflen, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "foobar-cluster: %s\n", err);
		return 1;
	}
	cluster_derive(s, "foobar-db", 32, db_pw);
	cluster_derive(s, "foobar-vrrp", 8, vrrp_pw);
	r->ifname = ifname;
	r->db_password = db_pw;
	r->vrrp_pass = vrrp_pw;
	return 0;
}

/* render DIR: every file under dir, and the SQL as dir/foobar-db.sql. */
static int
plan_render(const struct plan *p, const char *dir)
{
	char path[4200], err[512];
	size_t i;

	for (i = 0; i <= p->n; i++) {
		const char *text = i < p->n ? p->f[i].text : p->sql;

		if (text == NULL)
			continue;
		snprintf(path, sizeof(path), "%s%s", dir, i < p->n ?
		    p->f[i].path : "/foobar-db.sql");
		if (sys_write(path, text, 0600, -1, err, sizeof(err)) == -1) {
			fprintf(stderr, "foobar-cluster: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* Installs the files in order, stopping at the first failure; the
 * actions of those that changed are added to *acts. Returns 0 or -1. */
static int
plan_install(const struct plan *p, unsigned *acts)
{
	size_t i;
	int one;

	for (i = 0; i < p->n; i++) {
		if ((one = install(&p->f[i])) == -1)
			return -1;
		if (one == 1)
			*acts |= p->f[i].acts;
	}
	return 0;
}

int
cluster_apply(const struct cluster *c, const struct apply_opts *o)
{
	char ifname[64], db_pw[40], vrrp_pw[16];
	struct cluster_secret *s = malloc(sizeof(*s));
	struct cluster_certs cc;
	unsigned acts = 0;
	struct render_ctx r;
	struct plan p;
	int rc;

	if (s == NULL)
		return 1;
	rc = ctx_init(&r, c, o->host, s, ifname, sizeof(ifname), db_pw,
	    vrrp_pw);
	/* the installed leaf is kept while it fits; render issues one */
	if (rc == 0 && certs_make(c, r.self, s, o->render_dir == NULL,
	    &cc) == -1)
		rc = 1;
	explicit_bzero(s, sizeof(*s));
	free(s);
	if (rc != 0)
		return rc;
	if (o->bootstrap && (!(r.self->roles & ROLE_DB) ||
	    !cluster_galera(c))) {
		fprintf(stderr, "foobar-cluster: bootstrap: %s is not a db host "
		    "of a Galera site (three db hosts or more, or two and an "
		    "arbitrator)\n", r.self->name);
		certs_free(&cc);
		return 1;
	}
	plan_build(&p, &r, o->webd_conf, &cc);
	certs_free(&cc);
	if (p.oom)
		rc = 1;
	else if (o->render_dir != NULL)
		rc = plan_render(&p, o->render_dir) == -1;
	else
		rc = plan_install(&p, &acts) == -1 ||
		    run_actions(&r, o, &p, acts) == -1;
	plan_free(&p);
	explicit_bzero(db_pw, sizeof(db_pw));
	explicit_bzero(vrrp_pw, sizeof(vrrp_pw));
	return rc;
}
