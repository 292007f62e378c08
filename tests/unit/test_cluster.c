/* test_cluster.c - cluster.conf: every mistake check catches, the secret
 * file's checks, HMAC-SHA256 vectors, golden renders, HAProxy's CSV, the
 * numbers in a node check's answer, the site's certificates. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cluster/cluster.h"
#include "sha256.h"
#include "unit.h"

#define SITE "tests/cluster/site.conf"
#define GOLDEN "tests/cluster/golden/"

static const char head[] = "[cluster]\nvip = 10.20.0.10/24\n"
    "[host lb1]\naddress = 10.20.0.2\nroles = lb\n"
    "[host lb2]\naddress = 10.20.0.3\nroles = lb\n"
    "[host web1]\naddress = 10.20.0.4\nroles = web\n";
static const char db[] = "[host db1]\naddress = 10.20.0.6\nroles = db\n";

static char t_path[64];

static void
t_write(const char *text, const char *path_template)
{
	int fd;

	snprintf(t_path, sizeof(t_path), "%s", path_template);
	fd = mkstemp(t_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
}

/* Loads text; the error must contain want (":LINE: message"). */
static void
t_bad(const char *text, const char *want)
{
	struct cluster c;
	char err[1024];
	int rc;

	t_write(text, "/tmp/test-cluster.XXXXXX");
	rc = cluster_load(t_path, &c, err, sizeof(err));
	cluster_free(&c);
	unlink(t_path);
	ck_assert_msg(rc == -1, "accepted: %s", text);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\", want \"%s\"",
	    err, want);
}

static char *
t_cat(const char *a, const char *b)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", a, b);
	return buf;
}

START_TEST(site_loads)
{
	struct cluster c;
	char err[1024], roles[32];

	ck_assert_msg(cluster_load(SITE, &c, err, sizeof(err)) == 0, "%s",
	    err);
	ck_assert_str_eq(c.name, "foobar");
	ck_assert_uint_eq(c.nhosts, 7);
	ck_assert_uint_eq(cluster_count(&c, ROLE_LB), 2);
	ck_assert_uint_eq(cluster_count(&c, ROLE_WEB), 2);
	ck_assert_str_eq(cluster_nth(&c, ROLE_WEB, 1)->name, "web2");
	ck_assert_str_eq(c.vip.addr.text, "10.20.0.10");
	ck_assert_int_eq(c.vip.prefix, 24);
	ck_assert_int_eq(c.vrrp_id, 51);
	ck_assert_str_eq(cluster_roles_text(ROLE_LB | ROLE_DB, roles,
	    sizeof(roles)), "lb, db");
	cluster_free(&c);
}
END_TEST

/* Two db hosts and an arbitrator (a web host here) make a Galera site. */
START_TEST(arbitrator_site)
{
	struct cluster c;
	char err[1024], roles[64];

	t_write(t_cat(head, "[host db1]\naddress = 10.20.0.6\nroles = db\n"
	    "[host db2]\naddress = 10.20.0.7\nroles = db\n"
	    "[host a]\naddress = 10.20.0.9\nroles = web, arbitrator\n"),
	    "/tmp/test-cluster.XXXXXX");
	ck_assert_msg(cluster_load(t_path, &c, err, sizeof(err)) == 0, "%s",
	    err);
	unlink(t_path);
	ck_assert_int_eq(cluster_galera(&c), 1);
	ck_assert_uint_eq(cluster_count(&c, GALERA_MEMBERS), 3);
	ck_assert_str_eq(cluster_nth(&c, ROLE_ARB, 0)->name, "a");
	ck_assert_str_eq(cluster_roles_text(cluster_nth(&c, ROLE_ARB,
	    0)->roles, roles, sizeof(roles)), "web, arbitrator");
	cluster_free(&c);
}
END_TEST

START_TEST(mistakes)
{
	t_bad(t_cat("[cluster]\nnmae = x\n", db), ":2: unknown key \"nmae\"");
	t_bad(t_cat("[clustr]\nname = x\n", db), ":1: unknown section");
	t_bad(t_cat(head, "[host web1]\naddress = 10.20.0.9\nroles = db\n"),
	    ":12: [host web1]: duplicate host web1");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.4\nroles = db\n"),
	    ":13: host db1 has the address of host web1 (10.20.0.4)");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.300\nroles = db\n"),
	    ":13: address: \"10.20.0.300\" is not an IPv4 address");
	t_bad(t_cat(head, "[host db1]\naddress = 224.0.0.18\nroles = db\n"),
	    ":13: address: 224.0.0.18 cannot be a host's address");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\nroles = dbb\n"),
	    ":14: roles: unknown role \"dbb\"");
	t_bad(t_cat(head, "[host db1]\nroles = db\n"),
	    ":13: host db1 has no address");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\n"),
	    ":13: host db1 has no roles");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\nroles = db\n"
	    "address = 10.20.0.7\n"), ":15: key \"address\" repeated");
	t_bad(head, ": no host has the role db");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\nroles = lb,web\n"),
	    ":14: host db1: roles lb and web cannot share a host");
	t_bad(t_cat("[host db1]\naddress = 10.20.0.6\nroles = db, lb\n",
	    ""), ": no host has the role web");
	t_bad(t_cat("[host w]\naddress = 10.20.0.5\nroles = web\n", db),
	    ": no host has the role lb");
	t_bad("[cluster]\nname = x\n", ": no [host NAME] section");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\nroles = db\n"
	    "[host db2]\naddress = 10.20.0.7\nroles = db\n"),
	    ":17: two db hosts: a Galera cluster needs three");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\nroles = db\n"
	    "[host a]\naddress = 10.20.0.9\nroles = arbitrator\n"),
	    ":17: an arbitrator needs a Galera cluster: two db hosts or more "
	    "(found 1)");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\nroles = db\n"
	    "[host db2]\naddress = 10.20.0.7\nroles = db\n"
	    "[host db3]\naddress = 10.20.0.8\nroles = db\n"
	    "[host a]\naddress = 10.20.0.9\nroles = web, arbitrator\n"),
	    ":23: 3 db and 1 arbitrator hosts make an even number of Galera "
	    "members");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\n"
	    "roles = db, arbitrator\n"),
	    ":14: host db1: roles db and arbitrator cannot share a host");
	t_bad(t_cat(head, "[host db1]\naddress = 10.20.0.6\nroles = arbiter\n"),
	    ":14: roles: unknown role \"arbiter\" (lb, web, db or "
	    "arbitrator)");
}
END_TEST

START_TEST(vip_mistakes)
{
	t_bad("[cluster]\nvip = 10.20.0.10/24\n[host lb1]\naddress = "
	    "10.20.0.2\nroles = lb\n[host w]\naddress = 10.20.0.4\n"
	    "roles = web, db\n",
	    ":2: a vip needs at least two lb hosts (found 1)");
	t_bad(t_cat("[cluster]\nvip = 10.30.0.10/24\n[host lb1]\naddress = "
	    "10.20.0.2\nroles = lb\n[host w]\naddress = 10.20.0.4\nroles = web\n[host lb2]\naddress = 10.20.0.3\n"
	    "roles = lb\n", db), ":2: vip 10.30.0.10/24 is not in the "
	    "subnet of lb host lb1 (10.20.0.2)");
	t_bad(t_cat("[cluster]\nvip = 10.20.0.3/24\n[host lb1]\naddress = "
	    "10.20.0.2\nroles = lb\n[host w]\naddress = 10.20.0.4\nroles = web\n[host lb2]\naddress = 10.20.0.3\n"
	    "roles = lb\n", db), ":2: vip 10.20.0.3 is the address of host "
	    "lb2");
	t_bad(t_cat("[cluster]\nvip = 10.20.0.10\n", db),
	    ":2: vip: vip \"10.20.0.10\" needs a prefix length");
	t_bad(t_cat("[cluster]\nvip = 10.20.0.10/33\n", db), ":2: vip:");
	t_bad(t_cat("[cluster]\nsecret_file = key\n[host lb1]\naddress = "
	    "10.20.0.2\nroles = lb\n[host w]\naddress = 10.20.0.4\nroles = web\n", db),
	    ":2: secret_file must be an absolute path");
	t_bad(t_cat("[cluster]\nname = a b\n", db), ":2: name \"a b\"");
	t_bad(t_cat("[cluster]\nvrrp_id = 256\n", db), ":2: vrrp_id");
	t_bad(t_cat("[cluster]\nadvert_int = 1005ms\n", db),
	    ":2: advert_int: keepalived counts in hundredths");
	t_bad(t_cat("[cluster]\nadvert_int = 50ms\n", db), ":2: advert_int");
	t_bad(t_cat("[host a.b]\naddress = 10.20.0.2\nroles = lb\n", db),
	    ":1: [host a.b]: host name \"a.b\"");
}
END_TEST

/* A cluster.conf naming secret; returns the loaded cluster. */
static void
t_secret(struct cluster *c, const char *secret, mode_t mode, const char *want)
{
	char conf[512], err[1024], key[] = "/tmp/test-cluster-key.XXXXXX";
	struct cluster_secret s;
	int fd = mkstemp(key), rc;

	ck_assert_int_ge(fd, 0);
	if (secret != NULL)
		ck_assert_int_eq(write(fd, secret, strlen(secret)),
		    (int)strlen(secret));
	close(fd);
	ck_assert_int_eq(chmod(key, mode), 0);
	if (secret == NULL)
		unlink(key);
	snprintf(conf, sizeof(conf), "[cluster]\nsecret_file = %s\n%s", key,
	    "[host a]\naddress = 10.1.0.1\nroles = lb, db\n"
	    "[host w]\naddress = 10.1.0.2\nroles = web\n");
	t_write(conf, "/tmp/test-cluster.XXXXXX");
	ck_assert_msg(cluster_load(t_path, c, err, sizeof(err)) == 0, "%s",
	    err);
	rc = cluster_secret_read(c, &s, err, sizeof(err));
	if (want == NULL)
		ck_assert_msg(rc == 0, "%s", err);
	else
		ck_assert_msg(rc == -1 && strstr(err, want) != NULL,
		    "error \"%s\", want \"%s\"", err, want);
	cluster_free(c);
	unlink(t_path);
	unlink(key);
}

START_TEST(secret_file)
{
	struct cluster c;

	t_secret(&c, "0123456789abcdef0123", 0600, NULL);
	t_secret(&c, "0123456789abcdef0123", 0640, ":2: secret_file /tmp/"
	    "test-cluster-key.");
	t_secret(&c, "0123456789abcdef0123", 0604, "mode 0604: group and "
	    "others must have no access");
	t_secret(&c, "short", 0600, "5 bytes: give 16 to");
	t_secret(&c, NULL, 0600, "No such file or directory");
}
END_TEST

START_TEST(hmac_vectors)
{
	/* RFC 4231 test cases 2 and 6 (a key longer than a block). */
	static const unsigned char want2[32] = {
		0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04,
		0x24, 0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08,
		0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec,
		0x38, 0x43 };
	static const unsigned char want6[32] = {
		0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a,
		0x26, 0xaa, 0xcb, 0xf5, 0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21,
		0x37, 0x28, 0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f, 0x0e, 0xe3,
		0x7f, 0x54 };
	static const char msg6[] = "Test Using Larger Than Block-Size Key - "
	    "Hash Key First";
	unsigned char key6[131], md[32];
	struct cluster_secret s = { .len = 4 };
	char hex[65];

	sha256_hmac("Jefe", 4, "what do ya want for nothing?", 28, md);
	ck_assert_mem_eq(md, want2, 32);
	memset(key6, 0xaa, sizeof(key6));
	sha256_hmac(key6, sizeof(key6), msg6, strlen(msg6), md);
	ck_assert_mem_eq(md, want6, 32);
	memcpy(s.b, "Jefe", 4);
	cluster_derive(&s, "what do ya want for nothing?", 64, hex);
	ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843");
	cluster_derive(&s, "what do ya want for nothing?", 8, hex);
	ck_assert_str_eq(hex, "5bdcc146");
}
END_TEST

/* Compares got with the golden file name; GOLDEN_UPDATE=1 rewrites it. */
static void
t_golden(char *got, const char *name)
{
	char path[256], *want;
	FILE *f;

	ck_assert_ptr_nonnull(got);
	snprintf(path, sizeof(path), GOLDEN "%s", name);
	if (getenv("GOLDEN_UPDATE") != NULL) {
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(got, f);
		fclose(f);
	}
	want = sys_slurp(path);
	ck_assert_msg(want != NULL, "no %s", path);
	ck_assert_msg(strcmp(got, want) == 0, "%s differs:\n%s", path, got);
	free(want);
	free(got);
}

static void
t_ctx(struct render_ctx *r, const struct cluster *c, const char *host)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->self = cluster_host_by_name(c, host);
	ck_assert_ptr_nonnull(r->self);
	r->ifname = "eth0";
	r->db_password = "0123456789abcdef0123456789abcdef";
	r->vrrp_pass = "01234567";
}

START_TEST(golden_renders)
{
	struct render_ctx r;
	struct cluster c;
	char err[1024], *webd = sys_slurp("etc/webd.conf");

	ck_assert_msg(cluster_load(SITE, &c, err, sizeof(err)) == 0, "%s",
	    err);
	t_ctx(&r, &c, "lb1");
	t_golden(render_haproxy(&r), "haproxy.cfg");
	t_golden(render_keepalived(&r), "keepalived-lb1.conf");
	t_golden(render_nft(&r), "firewall-lb1.nft");
	t_ctx(&r, &c, "lb2");
	t_golden(render_keepalived(&r), "keepalived-lb2.conf");
	c.advert_int = 500;
	t_golden(render_keepalived(&r), "keepalived-lb2-v3.conf");
	c.advert_int = 1000;
	t_ctx(&r, &c, "web1");
	t_golden(render_nft(&r), "firewall-web1.nft");
	t_golden(render_db_cnf(&r), "db.cnf");
	t_golden(render_webd_conf(&r, webd), "webd.conf");
	t_golden(render_webd_socket(&r), "webd.socket.conf");
	t_golden(render_webd_service(&r), "webd.service.conf");
	t_golden(render_db_client_dropin(&r), "db-client.service.conf");
	t_golden(render_haproxy(&r), "haproxy-web1.cfg");
	t_ctx(&r, &c, "db1");
	t_golden(render_nft(&r), "firewall-db1.nft");
	t_golden(render_mariadb_cnf(&r), "mariadb.cnf");
	t_golden(render_db_sql(&r), "db.sql");
	t_ctx(&r, &c, "db3");
	t_golden(render_mariadb_cnf(&r), "mariadb-db3.cnf");
	/* db2 and db3 are the file's last hosts: without them, one MariaDB */
	c.nhosts -= 2;
	t_ctx(&r, &c, "web1");
	t_golden(render_db_cnf(&r), "db-single.cnf");
	t_golden(render_db_client_dropin(&r), "db-client-single.service.conf");
	t_ctx(&r, &c, "db1");
	t_golden(render_nft(&r), "firewall-db1-single.nft");
	t_golden(render_mariadb_cnf(&r), "mariadb-single.cnf");
	/* two db hosts and an arbitrator on lb2 (db3 is the file's last) */
	c.nhosts += 1;
	ck_assert_str_eq(c.hosts[1].name, "lb2");
	c.hosts[1].roles |= ROLE_ARB;
	ck_assert_int_eq(cluster_galera(&c), 1);
	t_ctx(&r, &c, "lb2");
	t_golden(render_garb_dropin(&r), "garb-lb2.service.conf");
	t_golden(render_nft(&r), "firewall-lb2-arbitrator.nft");
	t_ctx(&r, &c, "db1");
	t_golden(render_nft(&r), "firewall-db1-arbitrator.nft");
	t_golden(render_mariadb_cnf(&r), "mariadb-arbitrator.cnf");
	c.hosts[1].roles &= ~(unsigned)ROLE_ARB;
	c.nhosts += 1;
	free(webd);
	cluster_free(&c);
}
END_TEST

/* The node check's "key value" lines (cluster/galera-check). */
START_TEST(galera_fields)
{
	const char *body = "running yes\ncluster_size 3\n"
	    "cluster_status Primary\nlocal_state 4\n"
	    "local_state_comment Synced\r\nready ON\n";
	char v[32];

	ck_assert_str_eq(galera_field(body, "cluster_size", v, sizeof(v)),
	    "3");
	ck_assert_str_eq(galera_field(body, "local_state", v, sizeof(v)),
	    "4");
	ck_assert_str_eq(galera_field(body, "local_state_comment", v,
	    sizeof(v)), "Synced");
	ck_assert_str_eq(galera_field(body, "ready", v, sizeof(v)), "ON");
	ck_assert_ptr_null(galera_field(body, "cluster", v, sizeof(v)));
	ck_assert_ptr_null(galera_field("", "ready", v, sizeof(v)));
	ck_assert_str_eq(galera_field("seqno -1", "seqno", v, 3), "-1");
}
END_TEST

/* The numbers read from a node check's answer and from galera_recovery:
 * by their digits, never a number made of junk. */
static const struct {
	const char *in;
	long long want;
} t_status[] = {
	{ "HTTP/1.0 200 OK\r\n\r\nx", 200 },
	{ "HTTP/1.1 503 Service Unavailable\r\n", 503 },
	{ "HTTP/1.0 204\r\n", 204 },
	{ "HTTP/1.0 200", 200 },
	{ "", -1 },
	{ "HTTP/1.0", -1 },
	{ "HTTP/1.0 20", -1 },
	{ "HTTP/1.0 2000 OK", -1 },
	{ "HTTP/1.0 20x OK", -1 },
	{ "HTTP/1.0  200 OK", -1 },
	{ "HTTP/1.0 -20 OK", -1 },
	{ "HTTP/2 200 OK", -1 },
	{ "SSH-2.0-OpenSSH", -1 },
}, t_seqno[] = {
	{ "1234", 1234 },
	{ "-1", -1 },
	{ "0", 0 },
	{ "9223372036854775807", LLONG_MAX },
	/* the end of the number: a line end, a blank, a GTID */
	{ "17\n--wsrep...", 17 },
	{ "17 ", 17 },
	{ "17,0-1-17", 17 },
	/* unknown: empty, junk, overflow, out of range */
	{ "", -1 },
	{ "\n", -1 },
	{ "-", -1 },
	{ "17x", -1 },
	{ "x17", -1 },
	{ "1-7", -1 },
	{ "9223372036854775808", -1 },
	{ "123456789012345678901234567890", -1 },
	{ "-2", -1 },
};

START_TEST(galera_numbers)
{
	size_t i;

	for (i = 0; i < sizeof(t_status) / sizeof(t_status[0]); i++)
		ck_assert_msg(galera_http_status(t_status[i].in) ==
		    t_status[i].want, "status of \"%s\"", t_status[i].in);
	for (i = 0; i < sizeof(t_seqno) / sizeof(t_seqno[0]); i++)
		ck_assert_msg(galera_seqno(t_seqno[i].in) == t_seqno[i].want,
		    "seqno of \"%s\"", t_seqno[i].in);
}
END_TEST

START_TEST(webd_conf_without_server)
{
	struct render_ctx r;
	struct cluster c;
	char err[1024], *out;

	ck_assert_msg(cluster_load(SITE, &c, err, sizeof(err)) == 0, "%s",
	    err);
	t_ctx(&r, &c, "web1");
	out = render_webd_conf(&r, "[location /api/]\nfastcgi_pass = x");
	ck_assert_ptr_nonnull(strstr(out, "fastcgi_pass = x\n[server]\n"
	    "trusted_proxy = 10.20.0.2\ntrusted_proxy = 10.20.0.3\n"));
	free(out);
	out = render_webd_conf(&r, "[server]");
	ck_assert_ptr_nonnull(strstr(out, "\n[server]\ntrusted_proxy = "
	    "10.20.0.2\n"));
	free(out);
	cluster_free(&c);
}
END_TEST

static void
t_sv(void *arg, const char *sv, const char *status)
{
	char *acc = arg;
	size_t n = strlen(acc);

	snprintf(acc + n, 256 - n, "%s=%s;", sv, status);
}

START_TEST(haproxy_stat)
{
	static const char csv[] =
	    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,"
	    "dresp,ereq,econ,eresp,wretr,wredis,status,weight\n"
	    "www,FRONTEND,,,0,1,262,3,0,0,0,0,0,,,,,OPEN,\n"
	    "web,web1,0,0,0,1,,2,0,0,,0,,0,0,0,0,UP,1\n"
	    "web,web2,0,0,0,1,,2,0,0,,0,,0,0,0,0,DOWN,1\n"
	    "web,BACKEND,0,0,0,1,26,2,0,0,0,0,,0,0,0,0,UP,2\n"
	    "stats,FRONTEND,,,0,0,262,0,0,0,0,0,0,,,,,OPEN,\n\n";
	char acc[256] = "";

	ck_assert_int_eq(stat_servers(csv, "web", t_sv, acc), 2);
	ck_assert_str_eq(acc, "web1=UP;web2=DOWN;");
	ck_assert_int_eq(stat_servers("Unknown command\n", "web", t_sv, acc),
	    -1);
	ck_assert_int_eq(stat_servers("# pxname,svname\nweb,a\n", "web",
	    t_sv, acc), -1);
}
END_TEST

START_TEST(tls_mistakes)
{
	static const char web[] = "[host web1]\naddress = 10.20.0.4\n"
	    "roles = web\n";
	static const char top[] = "[cluster]\ntls_ca = /etc/ca.pem\n"
	    "[host lb1]\naddress = 10.20.0.2\nroles = lb\n";
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s%s%s", top, web, db);
	t_bad(buf, ":11: db host db1 has no tls_cert and tls_key");
	snprintf(buf, sizeof(buf), "%s%s%stls_cert = /etc/db1.pem\n", top,
	    web, db);
	t_bad(buf, ":12: host db1: tls_cert and tls_key go together (no "
	    "tls_key)");
	snprintf(buf, sizeof(buf), "%s%s%stls_cert = db1.pem\n", top, web,
	    db);
	t_bad(buf, ":12: tls_cert must be an absolute path");
	snprintf(buf, sizeof(buf), "[cluster]\ntls_ca = ca.pem\n[host lb1]\n"
	    "address = 10.20.0.2\nroles = lb\n%s%s", web, db);
	t_bad(buf, ":2: tls_ca must be an absolute path");
	snprintf(buf, sizeof(buf), "%s%stls_cert = /a\ntls_key = /b\n", head,
	    db);
	t_bad(buf, ":15: host db1: tls_cert needs the CA that issued it");
	snprintf(buf, sizeof(buf), "%s%stls_cert = /a\ntls_key = /b\n%s",
	    top, web, db);
	t_bad(buf, ":9: host web1: tls_cert is for db and arbitrator hosts only");
}
END_TEST

static void
t_fill(struct cluster_secret *s, char fill)
{
	memset(s->b, fill, 32);
	s->len = 32;
}

/* The derived CA is the same bytes from the same secret; its leaves name
 * their addresses, verify against it and not against another CA. */
START_TEST(tls_certs)
{
	static const char *const addrs[] = { "10.20.0.6", "127.0.0.1", NULL };
	static const char *const other[] = { "10.20.0.7", NULL };
	static struct cluster_secret s;
	struct tls_ca *ca, *again, *ca2, *imported;
	char err[512], *pem, *pem2, *cert, *key, *cert2, *key2;
	time_t now = time(NULL);

	t_fill(&s, 'a');
	ca = tls_ca_derive(&s, "foobar", err, sizeof(err));
	again = tls_ca_derive(&s, "foobar", err, sizeof(err));
	ck_assert_msg(ca != NULL && again != NULL, "%s", err);
	pem = tls_ca_pem(ca);
	pem2 = tls_ca_pem(again);
	ck_assert_str_eq(pem, pem2);
	free(pem2);
	t_fill(&s, 'b');
	ca2 = tls_ca_derive(&s, "foobar", err, sizeof(err));
	ck_assert_ptr_nonnull(ca2);
	pem2 = tls_ca_pem(ca2);
	ck_assert_str_ne(pem, pem2);

	ck_assert_int_eq(tls_leaf_issue(ca, "db1", addrs, now, &cert, &key,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(tls_leaf_issue(ca, "db2", other, now, &cert2, &key2,
	    err, sizeof(err)), 0);
	ck_assert_msg(tls_leaf_check(again, cert, key, addrs, now,
	    TLS_RENEW_DAYS, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(tls_leaf_check(ca, cert, key, other, now, 0, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "does not name 10.20.0.7"));
	ck_assert_int_eq(tls_leaf_check(ca2, cert, key, addrs, now, 0, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not valid for the site's CA"));
	ck_assert_int_eq(tls_leaf_check(ca, cert, key2, addrs, now, 0, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "the key is not the certificate's"));
	ck_assert_int_eq(tls_leaf_check(ca, cert, key, addrs, now,
	    TLS_LEAF_DAYS + 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "expires in"));

	/* the administrator's CA: both certificates of a rotation verify,
	 * but it issues nothing */
	snprintf(err, sizeof(err), "%s", "");
	{
		char both[8192];

		snprintf(both, sizeof(both), "%s%s", pem2, pem);
		imported = tls_ca_import(both, err, sizeof(err));
	}
	ck_assert_msg(imported != NULL, "%s", err);
	ck_assert_msg(tls_leaf_check(imported, cert, key, addrs, now, 0, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(tls_leaf_issue(imported, "db1", addrs, now, &cert2,
	    &key2, err, sizeof(err)), -1);
	ck_assert_ptr_null(tls_ca_import("not a certificate", err,
	    sizeof(err)));
	free(pem);
	free(pem2);
	free(cert);
	free(key);
	tls_ca_free(ca);
	tls_ca_free(again);
	tls_ca_free(ca2);
	tls_ca_free(imported);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cluster");
	TCase *tc = tcase_create("cluster");

	tcase_add_test(tc, site_loads);
	tcase_add_test(tc, mistakes);
	tcase_add_test(tc, vip_mistakes);
	tcase_add_test(tc, secret_file);
	tcase_add_test(tc, hmac_vectors);
	tcase_add_test(tc, golden_renders);
	tcase_add_test(tc, arbitrator_site);
	tcase_add_test(tc, webd_conf_without_server);
	tcase_add_test(tc, galera_fields);
	tcase_add_test(tc, galera_numbers);
	tcase_add_test(tc, haproxy_stat);
	tcase_add_test(tc, tls_mistakes);
	suite_add_tcase(s, tc);
	/* RSA key generation from a seed: about a second each, more under
	 * valgrind */
	tc = tcase_create("tls");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tls_certs);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
