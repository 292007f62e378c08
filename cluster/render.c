/* render.c - each engine's config for one host, from cluster.conf; pure:
 * text in memory, compared with what is installed by apply.c. */
#include "cluster.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_NAME "foobar"
#define DB_USER "foobar"
#define HEADER "# Written by foobar-cluster apply from %s; do not edit:\n" \
	"# change cluster.conf and run foobar-cluster apply again.\n"

struct out {
	char *p;
	size_t len, cap;
	int oom;
};

static void out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap, again;
	size_t need;
	char *np;
	int n;

	if (o->oom)
		return;
	va_start(ap, fmt);
	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	need = o->len + (size_t)n + 1;
	if (n >= 0 && need > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;

		while (cap < need)
			cap *= 2;
		if ((np = realloc(o->p, cap)) == NULL) {
			n = -1;
		} else {
			o->p = np;
			o->cap = cap;
		}
	}
	if (n >= 0) {
		vsnprintf(o->p + o->len, o->cap - o->len, fmt, again);
		o->len += (size_t)n;
	} else {
		o->oom = 1;
	}
	va_end(again);
	va_end(ap);
}

static char *
out_done(struct out *o)
{
	if (o->oom || o->p == NULL) {
		free(o->p);
		return NULL;
	}
	return o->p;
}

/* "a, b, c": the addresses of the hosts with role, but self. */
static void
out_addrs(struct out *o, const struct cluster *c, unsigned role,
    const struct cluster_host *but)
{
	const struct cluster_host *h;
	size_t i, n = 0;

	for (i = 0; (h = cluster_nth(c, role, i)) != NULL; i++)
		if (h != but)
			out_printf(o, "%s%s", n++ ? ", " : "",
			    h->address.text);
}

static void
haproxy_global(struct out *o)
{
	out_printf(o, "global\n"
	    "\tlog /dev/log local0\n"
	    "\tlog /dev/log local1 notice\n"
	    "\tchroot /var/lib/haproxy\n"
	    "\tstats socket /run/haproxy/admin.sock mode 660 level admin\n"
	    "\tstats timeout 30s\n"
	    "\tuser haproxy\n"
	    "\tgroup haproxy\n"
	    "\t# old workers of a reload finish their requests, this long\n"
	    "\thard-stop-after 60s\n\n");
}

static void
haproxy_defaults(struct out *o)
{
	out_printf(o, "defaults\n"
	    "\tlog global\n"
	    "\tmode http\n"
	    "\toption httplog\n"
	    "\toption dontlognull\n"
	    "\t# the client's address to webd, which trusts it from the\n"
	    "\t# lb hosts only (webd.conf trusted_proxy)\n"
	    "\toption forwardfor\n"
	    "\ttimeout connect 1s\n"
	    "\ttimeout client 50s\n"
	    "\ttimeout server 50s\n"
	    "\ttimeout http-request 10s\n"
	    "\ttimeout http-keep-alive 10s\n"
	    "\ttimeout queue 10s\n"
	    "\ttimeout check 2s\n"
	    "\t# a web host that fails between requests costs no request:\n"
	    "\t# each retry goes to another server\n"
	    "\tretries 3\n"
	    "\toption redispatch 1\n"
	    "\tretry-on conn-failure empty-response junk-response "
	    "response-timeout 502 503 504\n"
	    "\tdefault-server inter 1s fastinter 500ms downinter 1s "
	    "fall 2 rise 2\n\n");
}

/* A web host's path to the Galera cluster: one writer at a time (the
 * first synced db host in cluster.conf's order; the others are backups,
 * and only the first backup that is up is used), chosen by each db host's
 * check on port GALERA_CHECK_PORT (200 when Synced in a primary
 * component). Sessions on a server marked down are cut, so that appd's
 * workers connect again at once (to the next node); when the first node
 * is back, the sessions on the backup are cut too, so that every web host
 * writes through the same node again. */
static char *
haproxy_galera(const struct render_ctx *r)
{
	const struct cluster_host *h;
	struct out o = { 0 };
	size_t i;

	out_printf(&o, HEADER, r->c->path);
	haproxy_global(&o);
	out_printf(&o, "defaults\n"
	    "\tlog global\n"
	    "\tmode tcp\n"
	    "\toption dontlognull\n"
	    "\ttimeout connect 1s\n"
	    "\t# appd keeps its connections: idle ones are not cut\n"
	    "\ttimeout client 8h\n"
	    "\ttimeout server 8h\n"
	    "\t# a check connects within timeout connect (a host that is "
	    "gone fails in\n\t# 1 s) and then has 5 s to answer: the "
	    "node's check (a sandboxed unit and\n\t# a mariadb client "
	    "per connection) took 1 to 3 s on a loaded host\n"
	    "\ttimeout check 5s\n"
	    "\t# a node that refuses or is gone is out after two checks "
	    "(about 2.5 s)\n"
	    "\tdefault-server inter 1s fastinter 250ms downinter 1s "
	    "fall 2 rise 2\n\n"
	    "# MariaDB for appd and dbmigrate on this host: one Galera node "
	    "takes every\n# connection (no certification conflicts "
	    "between writers)\n"
	    "listen galera\n"
	    "\tbind 127.0.0.1:3306\n"
	    "\toption httpchk\n"
	    "\thttp-check send meth GET uri /\n"
	    "\thttp-check expect status 200\n"
	    "\t# a connection refused or timed out marks the node down at "
	    "once, and the\n\t# next try goes to the next node: "
	    "appd's connect does not fail\n"
	    "\toption redispatch 1\n"
	    "\tretries 2\n");
	for (i = 0; (h = cluster_nth(r->c, ROLE_DB, i)) != NULL; i++)
		out_printf(&o, "\tserver %s %s:3306 check port %d%s "
		    "observe layer4 error-limit 1 on-error mark-down "
		    "on-marked-down shutdown-sessions%s\n", h->name,
		    h->address.text, GALERA_CHECK_PORT, i ? " backup" : "",
		    i ? "" : " on-marked-up shutdown-backup-sessions");
	return out_done(&o);
}

char *
render_haproxy(const struct render_ctx *r)
{
	const struct cluster_host *h;
	struct out o = { 0 };
	size_t i;

	if (!(r->self->roles & ROLE_LB))
		return haproxy_galera(r);
	out_printf(&o, HEADER, r->c->path);
	haproxy_global(&o);
	haproxy_defaults(&o);
	out_printf(&o, "frontend www\n"
	    "\t# this host's address and the vip (when it holds it)\n"
	    "\tbind :80\n"
	    "\tdefault_backend web\n\n"
	    "backend web\n"
	    "\tbalance roundrobin\n"
	    "\toption httpchk\n"
	    "\thttp-check send meth GET uri /api/health ver HTTP/1.1 "
	    "hdr Host localhost\n"
	    "\thttp-check expect status 200\n");
	for (i = 0; (h = cluster_nth(r->c, ROLE_WEB, i)) != NULL; i++)
		out_printf(&o, "\tserver %s %s:80 check\n", h->name,
		    h->address.text);
	out_printf(&o, "\t# every web host failing its check at once has one "
	    "cause (the database,\n\t# moving to another node): they "
	    "still serve the static site, so they\n\t# stay in use, "
	    "unchecked, instead of HAProxy's 503 for every request\n"
	    "\toption allbackups\n");
	for (i = 0; (h = cluster_nth(r->c, ROLE_WEB, i)) != NULL; i++)
		out_printf(&o, "\tserver %s-all-down %s:80 backup\n", h->name,
		    h->address.text);
	out_printf(&o, "\n"
	    "# local only: the stats page and Prometheus metrics\n"
	    "frontend stats\n"
	    "\tbind 127.0.0.1:8404\n"
	    "\thttp-request use-service prometheus-exporter if "
	    "{ path /metrics }\n"
	    "\tstats enable\n"
	    "\tstats uri /stats\n"
	    "\tstats refresh 10s\n");
	return out_done(&o);
}

/* The first lb host of the file gets the highest priority. */
static int
lb_priority(const struct render_ctx *r)
{
	const struct cluster_host *h;
	size_t i;

	for (i = 0; (h = cluster_nth(r->c, ROLE_LB, i)) != NULL; i++)
		if (h == r->self)
			return 254 - (int)i;
	return 100;
}

/* VRRPv2 (whole seconds) carries keepalived's PASS authentication;
 * VRRPv3 (shorter adverts, faster failover) has none. */
static void
keepalived_auth(struct out *o, const struct render_ctx *r)
{
	if (r->c->advert_int % 1000 == 0)
		out_printf(o, "\tadvert_int %lld\n"
		    "\t# VRRPv2 simple password (keepalived 2.2.7: PASS or AH)\n"
		    "\tauthentication {\n"
		    "\t\tauth_type PASS\n"
		    "\t\tauth_pass %s\n"
		    "\t}\n", r->c->advert_int / 1000, r->vrrp_pass);
	else
		out_printf(o, "\t# VRRPv3: no authentication; the firewall "
		    "takes VRRP from the\n\t# other lb hosts only\n"
		    "\tadvert_int %lld.%02lld\n", r->c->advert_int / 1000,
		    r->c->advert_int % 1000 / 10);
}

char *
render_keepalived(const struct render_ctx *r)
{
	struct out o = { 0 };

	out_printf(&o, HEADER, r->c->path);
	out_printf(&o, "global_defs {\n"
	    "\trouter_id %s\n"
	    "%s"
	    "\tenable_script_security\n"
	    "\tscript_user root\n"
	    "}\n\n"
	    "# the address leaves this host when HAProxy is not running (not\n"
	    "# pidof: keepalived runs a symlink's target, and Debian's pidof\n"
	    "# is killall5 under another name); systemd may take seconds to\n"
	    "# answer while it reloads its units (an apply on this host), and\n"
	    "# a check that times out counts as HAProxy down at once: the\n"
	    "# address would move and the connections through it be reset\n"
	    "vrrp_script foobar_haproxy {\n"
	    "\tscript \"/bin/systemctl is-active --quiet haproxy.service\"\n"
	    "\tinterval 1\n"
	    "\ttimeout 15\n"
	    "\tfall 2\n"
	    "\trise 2\n"
	    "}\n\n", r->self->name, r->c->advert_int % 1000 == 0 ? "" :
	    "\tvrrp_version 3\n");
	out_printf(&o, "vrrp_instance %s {\n"
	    "\t# all start as BACKUP; nopreempt: a returning lb does not\n"
	    "\t# take the address back (one move per failure, not two)\n"
	    "\tstate BACKUP\n"
	    "\tnopreempt\n"
	    "\tinterface %s\n"
	    "\t# adverts come from this address, which the other lb hosts'\n"
	    "\t# firewalls accept (not the interface's first address)\n"
	    "\tmcast_src_ip %s\n"
	    "\tvirtual_router_id %lld\n"
	    "\tpriority %d\n", r->c->name, r->ifname, r->self->address.text,
	    r->c->vrrp_id, lb_priority(r));
	keepalived_auth(&o, r);
	out_printf(&o, "\tvirtual_ipaddress {\n"
	    "\t\t%s/%d dev %s\n"
	    "\t}\n"
	    "\ttrack_script {\n"
	    "\t\tfoobar_haproxy\n"
	    "\t}\n"
	    "}\n", r->c->vip.addr.text, r->c->vip.prefix, r->ifname);
	return out_done(&o);
}

static void
nft_role_rules(struct out *o, const struct render_ctx *r)
{
	unsigned roles = r->self->roles;

	if (roles & ROLE_LB) {
		out_printf(o, "\t\t# lb: the site from anywhere\n"
		    "\t\ttcp dport 80 accept\n");
		if (cluster_count(r->c, ROLE_LB) > 1) {
			out_printf(o, "\t\t# lb: VRRP from the other lb hosts\n"
			    "\t\tip saddr { ");
			out_addrs(o, r->c, ROLE_LB, r->self);
			out_printf(o, " } ip protocol 112 accept\n");
		}
	}
	if (roles & ROLE_WEB) {
		out_printf(o, "\t\t# web: HTTP from the lb hosts only\n"
		    "\t\tip saddr { ");
		out_addrs(o, r->c, ROLE_LB, NULL);
		out_printf(o, " } tcp dport 80 accept\n");
	}
	if (roles & ROLE_DB) {
		out_printf(o, "\t\t# db: MariaDB from the web hosts only\n"
		    "\t\tip saddr { ");
		out_addrs(o, r->c, ROLE_WEB, NULL);
		out_printf(o, " } tcp dport %s accept\n",
		    cluster_galera(r->c) ? "{ 3306, 9200 }" : "3306");
	}
	if ((roles & ROLE_DB) && cluster_galera(r->c)) {
		out_printf(o, "\t\t# db: Galera replication, IST, SST and "
		    "the node check from the\n\t\t# other db hosts\n"
		    "\t\tip saddr { ");
		out_addrs(o, r->c, ROLE_DB, r->self);
		out_printf(o, " } tcp dport { 4444, 4567, 4568, 9200 } "
		    "accept\n");
		if (cluster_count(r->c, ROLE_ARB) > 0) {
			out_printf(o, "\t\t# db: Galera replication and the "
			    "node check from the arbitrators\n"
			    "\t\tip saddr { ");
			out_addrs(o, r->c, ROLE_ARB, r->self);
			out_printf(o, " } tcp dport { 4567, 9200 } accept\n");
		}
	}
	if (roles & ROLE_ARB) {
		out_printf(o, "\t\t# arbitrator: Galera replication from the "
		    "other members\n\t\tip saddr { ");
		out_addrs(o, r->c, GALERA_MEMBERS, r->self);
		out_printf(o, " } tcp dport 4567 accept\n");
	}
}

char *
render_nft(const struct render_ctx *r)
{
	struct out o = { 0 };
	char roles[32];

	out_printf(&o, "#!/usr/sbin/nft -f\n" HEADER, r->c->path);
	out_printf(&o, "# Host %s (%s): only table inet foobar is replaced, "
	    "never the whole ruleset.\n"
	    "table inet foobar\n"
	    "delete table inet foobar\n"
	    "table inet foobar {\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy drop;\n"
	    "\t\tct state established,related accept\n"
	    "\t\tiif \"lo\" accept\n"
	    "\t\t# ssh first: an apply never cuts the session it runs in\n"
	    "\t\ttcp dport 22 accept\n"
	    "\t\t# icmp, ipv6-icmp (numbers: no /etc/protocols needed)\n"
	    "\t\tmeta l4proto { 1, 58 } accept\n"
	    "\t\tudp sport 67 udp dport 68 accept\n"
	    "\t\tudp sport 547 udp dport 546 accept\n",
	    r->self->name, cluster_roles_text(r->self->roles, roles,
	    sizeof(roles)));
	nft_role_rules(&o, r);
	out_printf(&o, "\t}\n}\n");
	return out_done(&o);
}

char *
render_db_cnf(const struct render_ctx *r)
{
	const struct cluster_host *db = cluster_nth(r->c, ROLE_DB, 0);
	int galera = cluster_galera(r->c);
	struct out o = { 0 };

	out_printf(&o, "# /etc/foobar/db.cnf - how foobar connects to MariaDB; "
	    "see db.cnf(5).\n" HEADER, r->c->path);
	if (galera)
		out_printf(&o, "# 127.0.0.1:3306 is this host's HAProxy, which "
		    "forwards to one synced\n# Galera node (haproxy.cfg, "
		    "listen galera).\n");
	out_printf(&o, "# The password is derived from the cluster's secret; "
	    "keep this file 0640 root:foobar.\n"
	    "# TLS: the server's certificate must be of the site's CA and "
	    "name the host\n# connected to (its certificate names %s).\n"
	    "[foobar]\n"
	    "host=%s\n"
	    "port=3306\n"
	    "database=" DB_NAME "\n"
	    "user=" DB_USER "\n"
	    "password=%s\n"
	    "ssl-ca=" TLS_CA_FILE "\n"
	    "ssl-verify-server-cert=1\n", galera ? "127.0.0.1 too" :
	    "its address", galera ? "127.0.0.1" : db->address.text,
	    r->db_password);
	return out_done(&o);
}

/* The other db hosts' names, the last first: a joining node takes its
 * state from a node that is not the writer (the first db host) when it
 * can; the trailing comma lets it fall back to any node. */
static void
galera_donors(struct out *o, const struct render_ctx *r)
{
	const struct cluster_host *h;
	size_t i = cluster_count(r->c, ROLE_DB);

	while (i-- > 0)
		if ((h = cluster_nth(r->c, ROLE_DB, i)) != r->self)
			out_printf(o, "%s,", h->name);
}

/* gcomm://a,b,c: every member of the Galera cluster (db and arbitrator
 * hosts), as each of them and garbd name it. */
static void
galera_address(struct out *o, const struct cluster *c)
{
	const struct cluster_host *h;
	size_t i;

	out_printf(o, "gcomm://");
	for (i = 0; (h = cluster_nth(c, GALERA_MEMBERS, i)) != NULL; i++)
		out_printf(o, "%s%s", i ? "," : "", h->address.text);
}

static void
galera_cnf(struct out *o, const struct render_ctx *r)
{
	out_printf(o, "# Galera 4: one synchronous cluster of the db hosts. "
	    "Every table needs a\n# primary key; InnoDB only.\n"
	    "binlog_format = ROW\n"
	    "default_storage_engine = InnoDB\n"
	    "innodb_autoinc_lock_mode = 2\n"
	    "# a commit is on disk before it is acknowledged (Jepsen "
	    "2026-03 lost\n# acknowledged writes without it when nodes "
	    "crashed one after another)\n"
	    "innodb_flush_log_at_trx_commit = 1\n\n"
	    "[galera]\n"
	    "# an autocommit statement that lost certification to another "
	    "node's write\n# (two writers for a moment while the web hosts "
	    "move) runs again\n"
	    "wsrep_retry_autocommit = 4\n"
	    "wsrep_on = ON\n"
	    "wsrep_provider = /usr/lib/galera/libgalera_smm.so\n"
	    "wsrep_cluster_name = %s\n"
	    "wsrep_cluster_address = ", r->c->name);
	galera_address(o, r->c);
	out_printf(o, "\n"
	    "wsrep_node_name = %s\n"
	    "wsrep_node_address = %s\n"
	    "# state transfer of a joining node: rsync (in mariadb-server's "
	    "dependencies)\n# through stunnel ([sst] below); the donor is "
	    "read-only while it runs\n"
	    "wsrep_sst_method = rsync\n"
	    "wsrep_sst_donor = ", r->self->name, r->self->address.text);
	galera_donors(o, r);
	out_printf(o, "\n"
	    "# gcache: how far behind a node may fall and still catch up "
	    "by IST; a node\n# that went silent (powered off, cut off) "
	    "holds every commit until it is\n# evicted: after 3 s, not "
	    "Galera's 5 (the hosts share one LAN)\n"
	    "wsrep_provider_options = \"gcache.size=64M; "
	    "pc.recovery=TRUE; " GALERA_EVS_OPTIONS GALERA_SSL_OPTIONS
	    "\"\n\n"
	    "# rsync SST through stunnel (TLS), the peer's certificate chain "
	    "checked against\n# the site's CA (VERIFY_IDENTITY would make "
	    "stunnel look for the peer's own\n# certificate in tca)\n"
	    "[sst]\n"
	    "tca = " TLS_CA_FILE "\n"
	    "tcert = " TLS_CERT_FILE "\n"
	    "tkey = " TLS_KEY_FILE "\n"
	    "ssl-mode = VERIFY_CA\n");
}

char *
render_mariadb_cnf(const struct render_ctx *r)
{
	struct out o = { 0 };

	out_printf(&o, HEADER, r->c->path);
	out_printf(&o, "# MariaDB listens on this host's address for the web "
	    "hosts; users are\n# 'foobar'@'<web address>', so no name "
	    "lookups.\n"
	    "[mysqld]\n"
	    "bind-address = %s\n"
	    "skip-name-resolve\n"
	    "# TLS: every client over TCP must use it (the local socket is "
	    "secure already);\n# the certificate names this host's "
	    "address (and 127.0.0.1 on a Galera site)\n"
	    "ssl_ca = " TLS_CA_FILE "\n"
	    "ssl_cert = " TLS_CERT_FILE "\n"
	    "ssl_key = " TLS_KEY_FILE "\n"
	    "tls_version = TLSv1.2,TLSv1.3\n"
	    "require_secure_transport = ON\n", r->self->address.text);
	if (cluster_galera(r->c))
		galera_cnf(&o, r);
	return out_done(&o);
}

char *
render_garb_dropin(const struct render_ctx *r)
{
	const struct cluster_host *h;
	struct out o = { 0 };
	size_t i, n;

	out_printf(&o, HEADER, r->c->path);
	out_printf(&o, "# garbd, Galera's arbitrator: a member of the "
	    "cluster that holds no data,\n# so that two db hosts keep a "
	    "majority when either fails. Its key comes\n# by "
	    "LoadCredential= (the dynamic user of foobar-arbitrator's "
	    "drop-in\n# cannot read " TLS_KEY_FILE ", 0600 root).\n"
	    "[Service]\n"
	    "LoadCredential=" GARB_KEY_CREDENTIAL ":" TLS_KEY_FILE "\n"
	    "IPAddressAllow=");
	for (i = 0, n = 0; (h = cluster_nth(r->c, GALERA_MEMBERS, i)) !=
	    NULL; i++)
		if (h != r->self)
			out_printf(&o, "%s%s", n++ ? " " : "", h->address.text);
	out_printf(&o, "\n"
	    "ExecStart=\n"
	    "ExecStart=/usr/bin/garbd --name %s --group %s "
	    "--workdir %%S/foobar-garbd --address ", r->self->name, r->c->name);
	galera_address(&o, r->c);
	out_printf(&o, " --options \"gmcast.listen_addr=tcp://%s:4567; "
	    GALERA_EVS_OPTIONS "socket.ssl_cert=" TLS_CERT_FILE "; "
	    "socket.ssl_key=%%d/" GARB_KEY_CREDENTIAL "; socket.ssl_ca="
	    TLS_CA_FILE "\"\n", r->self->address.text);
	return out_done(&o);
}

char *
render_db_sql(const struct render_ctx *r)
{
	const struct cluster_host *h;
	struct out o = { 0 };
	size_t i;

	out_printf(&o, "CREATE DATABASE IF NOT EXISTS `" DB_NAME "` "
	    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;\n");
	/* foobar-backup on a web host restores through this account: it
	 * stages into DB__restore and swaps the live tables out into
	 * DB__old (\_: a plain _, not GRANT's wildcard) */
	for (i = 0; (h = cluster_nth(r->c, ROLE_WEB, i)) != NULL; i++)
		out_printf(&o, "CREATE USER IF NOT EXISTS '" DB_USER "'@'%s' "
		    "IDENTIFIED BY '%s';\n"
		    "ALTER USER '" DB_USER "'@'%s' IDENTIFIED BY '%s';\n"
		    "GRANT ALL PRIVILEGES ON `" DB_NAME "`.* TO '" DB_USER
		    "'@'%s';\n"
		    "GRANT ALL PRIVILEGES ON `" DB_NAME "\\_\\_restore`.* TO '"
		    DB_USER "'@'%s';\n"
		    "GRANT ALL PRIVILEGES ON `" DB_NAME "\\_\\_old`.* TO '"
		    DB_USER "'@'%s';\n", h->address.text, r->db_password,
		    h->address.text, r->db_password, h->address.text,
		    h->address.text, h->address.text);
	return out_done(&o);
}

char *
render_webd_socket(const struct render_ctx *r)
{
	struct out o = { 0 };

	out_printf(&o, HEADER, r->c->path);
	out_printf(&o, "# webd listens on this host's address only; FreeBind:\n"
	    "# the socket starts even before the address is configured.\n"
	    "[Socket]\n"
	    "ListenStream=\n"
	    "ListenStream=%s:80\n"
	    "FreeBind=yes\n", r->self->address.text);
	return out_done(&o);
}

char *
render_webd_service(const struct render_ctx *r)
{
	struct out o = { 0 };

	out_printf(&o, HEADER, r->c->path);
	out_printf(&o, "# webd.conf plus trusted_proxy lines for the lb hosts.\n"
	    "[Service]\n"
	    "ExecStart=\n"
	    "ExecStart=/usr/sbin/foobar-webd -c /etc/foobar/cluster/webd.conf\n");
	return out_done(&o);
}

char *
render_db_client_dropin(const struct render_ctx *r)
{
	const struct cluster_host *db = cluster_nth(r->c, ROLE_DB, 0);
	struct out o = { 0 };

	out_printf(&o, HEADER, r->c->path);
	if (cluster_galera(r->c))
		out_printf(&o, "# The database is the Galera cluster, through "
		    "this host's HAProxy on\n# 127.0.0.1:3306: network for it "
		    "only.\n"
		    "[Unit]\n"
		    "Wants=network-online.target haproxy.service\n"
		    "After=network-online.target haproxy.service\n\n"
		    "[Service]\n"
		    "PrivateNetwork=no\n"
		    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
		    "IPAddressAllow=127.0.0.1\n");
	else
		out_printf(&o, "# The database is on host %s, over TCP: "
		    "network for it only.\n"
		    "[Unit]\n"
		    "Wants=network-online.target\n"
		    "After=network-online.target\n\n"
		    "[Service]\n"
		    "PrivateNetwork=no\n"
		    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
		    "IPAddressAllow=%s\n", db->name, db->address.text);
	return out_done(&o);
}

/* The line of [server] ends at its first '\n' after the header. */
static const char *
server_section(const char *conf)
{
	const char *p = conf;

	while (p != NULL && *p != '\0') {
		const char *s = p + strspn(p, " \t");

		if (strncmp(s, "[server]", 8) == 0) {
			const char *nl = strchr(s, '\n');

			return nl != NULL ? nl + 1 : s + strlen(s);
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

char *
render_webd_conf(const struct render_ctx *r, const char *webd_conf)
{
	const char *at = server_section(webd_conf);
	const struct cluster_host *h;
	struct out o = { 0 };
	size_t i;

	out_printf(&o, "; /etc/foobar/webd.conf with the lb hosts as trusted "
	    "proxies.\n; Written by foobar-cluster apply from %s and "
	    "/etc/foobar/webd.conf:\n; edit those and run foobar-cluster "
	    "apply again.\n", r->c->path);
	if (at == NULL)
		out_printf(&o, "%s%s[server]\n", webd_conf,
		    webd_conf[0] != '\0' &&
		    webd_conf[strlen(webd_conf) - 1] != '\n' ? "\n" : "");
	else
		out_printf(&o, "%.*s%s", (int)(at - webd_conf), webd_conf,
		    at[-1] != '\n' ? "\n" : "");
	for (i = 0; (h = cluster_nth(r->c, ROLE_LB, i)) != NULL; i++)
		out_printf(&o, "trusted_proxy = %s\n", h->address.text);
	if (at != NULL)
		out_printf(&o, "%s", at);
	return out_done(&o);
}
