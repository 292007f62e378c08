/* cluster.h - foobar-cluster: one description of a site on several hosts
 * (cluster.conf), checked, and rendered into each host's engine configs
 * (HAProxy, keepalived, nftables, MariaDB, the foobar units). */
#ifndef FOOBAR_CLUSTER_H
#define FOOBAR_CLUSTER_H

#include <stddef.h>
#include <time.h>

#include <netinet/in.h>

#define CLUSTER_MAX_HOSTS 64
#define CLUSTER_SECRET_MIN 16
#define CLUSTER_SECRET_MAX 4096
/* each db host of a Galera site answers 200 here when it is Synced in a
 * primary component (foobar-galera-check.socket) */
#define GALERA_CHECK_PORT 9200

/* TLS between the hosts: the site's CA on every host; on a db host its
 * certificate (MariaDB's, Galera's and SST's) and key (0640 root:mysql) */
#define TLS_DIR "/etc/foobar/cluster/tls/"
#define TLS_CA_FILE TLS_DIR "ca.pem"
#define TLS_CERT_FILE TLS_DIR "host.pem"
#define TLS_KEY_FILE TLS_DIR "host.key"
/* Galera's own connections (replication, IST) over TLS with the host's
 * certificate, the peers' checked against the site's CA: the part of
 * wsrep_provider_options of every Galera process (mariadbd, garbd) */
#define GALERA_SSL_OPTIONS "socket.ssl_cert=" TLS_CERT_FILE "; " \
	"socket.ssl_key=" TLS_KEY_FILE "; socket.ssl_ca=" TLS_CA_FILE
/* ...and how soon a silent member is suspected and evicted: after 3 s,
 * not Galera's 5 (the hosts share one LAN); the same on every member */
#define GALERA_EVS_OPTIONS "evs.suspect_timeout=PT3S; " \
	"evs.inactive_timeout=PT6S; "
/* An arbitrator host: garbd reads its key from the credential systemd
 * passes to garb.service (LoadCredential=), as it runs as a dynamic user */
#define GARB_KEY_CREDENTIAL "host.key"
/* a leaf that apply issues is valid this long, and is issued again when
 * fewer than TLS_RENEW_DAYS are left */
#define TLS_LEAF_DAYS 730
#define TLS_RENEW_DAYS 30

enum cluster_role {
	ROLE_LB = 1,
	ROLE_WEB = 2,
	ROLE_DB = 4,
	ROLE_ARB = 8	/* "arbitrator": Galera's garbd, a vote without data */
};
#define CLUSTER_NROLES 4

struct cluster_addr {
	int set;
	struct in_addr a;
	char text[INET_ADDRSTRLEN];
};

struct cluster_cidr {
	struct cluster_addr addr;
	int prefix;
};

struct cluster_host {
	char *name;
	struct cluster_addr address;
	unsigned roles;		/* enum cluster_role bits */
	int roles_set;
	char *tls_cert;		/* the administrator's, on this host; or NULL */
	char *tls_key;
};

struct cluster {
	const char *path;	/* the file it was read from */
	char *name;
	struct cluster_cidr vip; /* vip.addr.set 0: none */
	char *secret_file;
	char *tls_ca;		/* the administrator's CA file, or NULL: derived */
	long long vrrp_id;
	long long advert_int;	/* ms; whole seconds: VRRPv2, else VRRPv3 */
	struct cluster_host hosts[CLUSTER_MAX_HOSTS];
	size_t nhosts;
};

/* conf.c - cluster.conf, read and checked; no I/O but the file itself. */

/* Reads and checks path into c (zeroed first). Returns 0, or -1 with
 * "PATH:LINE: message" (or "PATH: message") in err. The secret file is not
 * read here (see cluster_secret_read). Free with cluster_free. */
int cluster_load(const char *path, struct cluster *c, char *err,
    size_t errlen);
void cluster_free(struct cluster *c);

/* The host named name, or NULL. */
const struct cluster_host *cluster_host_by_name(const struct cluster *c,
    const char *name);

/* How many hosts have role, and the nth (from 0) of them or NULL. */
size_t cluster_count(const struct cluster *c, unsigned role);
const struct cluster_host *cluster_nth(const struct cluster *c,
    unsigned role, size_t nth);

/* 1 when the db hosts form a Galera cluster (three or more, or two and
 * an arbitrator), 0 when there is one database server. */
int cluster_galera(const struct cluster *c);

/* "PATH:LINE" of key in [host NAME] (h NULL: [cluster]) in out; the
 * host's address or roles line when key is not there, "PATH" when the
 * line is not found. */
void cluster_where(const struct cluster *c, const struct cluster_host *h,
    const char *key, char *out, size_t outlen);

/* The role names of mask, e.g. "lb, web", in buf. Returns buf. */
const char *cluster_roles_text(unsigned mask, char *buf, size_t buflen);

/* secret.c - the shared secret and what is derived from it. */

struct cluster_secret {
	unsigned char b[CLUSTER_SECRET_MAX];
	size_t len;
};

/* Reads c's secret file into s: it must be a regular file of at least
 * CLUSTER_SECRET_MIN bytes, not accessible by group or others. Returns 0,
 * or -1 with "PATH:LINE: message" in err. */
int cluster_secret_read(const struct cluster *c, struct cluster_secret *s,
    char *err, size_t errlen);

/* Writes the first n (<= 64) lower-case hex digits of HMAC-SHA256(secret,
 * purpose) and a NUL to out (n + 1 bytes). Pure. */
void cluster_derive(const struct cluster_secret *s, const char *purpose,
    size_t n, char *out);

/* tls.c - the site's certificates (GnuTLS); no file I/O. */

struct tls_ca;

/* The CA derived from the secret (the same bytes on every host), which
 * can issue leaves. Returns it, or NULL with a message in err. */
struct tls_ca *tls_ca_derive(const struct cluster_secret *s,
    const char *site, char *err, size_t errlen);

/* The administrator's CA certificates (PEM, one or more), which verify
 * but cannot issue. Returns them, or NULL with a message in err. */
struct tls_ca *tls_ca_import(const char *pem, char *err, size_t errlen);

/* The CA certificates as PEM (malloc'd), or NULL when out of memory. */
char *tls_ca_pem(const struct tls_ca *ca);
void tls_ca_free(struct tls_ca *ca);

/* Checks a leaf: cert_pem (leaf first, then any intermediates) matches
 * key_pem, verifies against ca at now, names every IPv4 address of addrs
 * (NULL-terminated) and is valid min_days more. Returns 0, or -1 with why
 * in err. */
int tls_leaf_check(const struct tls_ca *ca, const char *cert_pem,
    const char *key_pem, const char *const *addrs, time_t now, int min_days,
    char *err, size_t errlen);

/* A new leaf of ca (a derived one) for host name and addrs: an ECDSA
 * P-256 key, TLS_LEAF_DAYS days, server and client use. Returns 0 with
 * malloc'd PEM texts, or -1 with a message in err. */
int tls_leaf_issue(const struct tls_ca *ca, const char *name,
    const char *const *addrs, time_t now, char **cert_pem, char **key_pem,
    char *err, size_t errlen);

/* certs.c - the certificates apply installs on this host. */

/* Galera's members, which hold a certificate of their own */
#define GALERA_MEMBERS (ROLE_DB | ROLE_ARB)

struct cluster_certs {
	char *ca;		/* TLS_CA_FILE's text */
	char *cert;		/* a db or arbitrator host's TLS_CERT_FILE and */
	char *key;		/* TLS_KEY_FILE, else NULL */
};

/* The CA of c (derived from s, or tls_ca) and, on a db or arbitrator host, its
 * certificate and key: tls_cert and tls_key, or the installed ones when
 * reuse is set and they still fit, else new ones. Returns 0, or -1 after
 * printing why (FILE:LINE for the administrator's files). */
int certs_make(const struct cluster *c, const struct cluster_host *self,
    const struct cluster_secret *s, int reuse, struct cluster_certs *out);
void certs_free(struct cluster_certs *cc);

/* 0 when there is no tls_ca or it holds PEM certificates; -1 after
 * printing FILE:LINE and why. */
int certs_check(const struct cluster *c);

/* render.c - each engine's config for one host, in memory; pure. Each
 * returns a malloc'd NUL-terminated text, or NULL when out of memory. */

struct render_ctx {
	const struct cluster *c;
	const struct cluster_host *self;
	const char *ifname;	/* the interface carrying self's address */
	const char *db_password; /* 32 hex digits */
	const char *vrrp_pass;	 /* 8 characters */
};

/* An lb host's HAProxy (HTTP to the web hosts); on a web host of a
 * Galera site, a TCP listener on 127.0.0.1:3306 that sends every
 * connection to one synced db host (the others are backups). */
char *render_haproxy(const struct render_ctx *r);
char *render_keepalived(const struct render_ctx *r);
char *render_nft(const struct render_ctx *r);
char *render_db_cnf(const struct render_ctx *r);
/* A db host's MariaDB settings; with Galera, its wsrep settings. */
char *render_mariadb_cnf(const struct render_ctx *r);
/* An arbitrator host's drop-in for Debian's garb.service: garbd with the
 * site's members, Galera's timeouts and TLS (the key by LoadCredential=). */
char *render_garb_dropin(const struct render_ctx *r);
char *render_db_sql(const struct render_ctx *r);
char *render_webd_socket(const struct render_ctx *r);
char *render_webd_service(const struct render_ctx *r);
char *render_db_client_dropin(const struct render_ctx *r);
/* webd.conf with a trusted_proxy line per lb host added at the top of
 * its [server] section (one is added when it has none). */
char *render_webd_conf(const struct render_ctx *r, const char *webd_conf);

/* sys.c - running commands and installing files. */

/* Runs argv (argv[0] a full path) with input on its stdin (NULL: none),
 * its stdout and stderr in out (NUL-terminated, may be truncated; out
 * may be NULL). Returns its exit status, or -1 when it could not run
 * (message in out). */
int sys_run(char *const argv[], const char *input, char *out,
    size_t outlen);

/* 1 when path holds exactly text, 0 when not (or missing), -1 on a read
 * error other than ENOENT. */
int sys_same(const char *path, const char *text);

/* Writes text to path atomically (a temporary file in the same folder,
 * fsync, rename) with mode and owner uid/gid (-1: keep root). Returns 0,
 * or -1 with a message in err. */
int sys_write(const char *path, const char *text, unsigned mode, long gid,
    char *err, size_t errlen);

/* Finds which host of c this machine is: the one whose address is on a
 * local interface. Returns it with the interface name in ifname, or NULL
 * with a message in err. */
const struct cluster_host *sys_whoami(const struct cluster *c,
    const char *force, char *ifname, size_t iflen, char *err,
    size_t errlen);

#define SYS_HAPROXY_SOCK "/run/haproxy/admin.sock"

/* The whole answer of HAProxy's admin socket to cmd (malloc'd), or NULL
 * with errno set. */
char *sys_haproxy_ask(const char *cmd);

/* The whole file at path (malloc'd, "" when unreadable midway), or NULL
 * with errno set when it cannot be opened. */
char *sys_slurp(const char *path);

/* The id of group name, or -1 when there is none. */
long sys_gid(const char *name);

/* 1 when addr is on a local interface, 0 when not. */
int sys_addr_local(const struct in_addr *addr);

/* stat.c - HAProxy's "show stat" CSV, pure. Calls fn for each server
 * line (not FRONTEND/BACKEND) of proxy px with its svname and status
 * field. Returns the number of servers, or -1 when the header is not
 * HAProxy's. */
int stat_servers(const char *csv, const char *px,
    void (*fn)(void *arg, const char *sv, const char *status), void *arg);

/* galera.c - a db host's node check. */

/* Asks addr's node check for path ("/" or "/position") within ms
 * milliseconds. Returns the HTTP status (200: Synced in a primary
 * component), with the body ("key value" lines) in body; or -1 when no
 * answer came (body empty). */
int galera_ask(const struct in_addr *addr, const char *path, int ms,
    char *body, size_t bodylen);

/* The status of an HTTP/1.x answer's status line ("HTTP/1.0 200 OK"),
 * read by its three digits; -1 when answer does not start with one.
 * Pure. */
int galera_http_status(const char *answer);

/* The Galera seqno that starts s and ends it or is followed by a blank,
 * a line end or ",GTID" (a position with wsrep_gtid_mode); -1 (unknown)
 * when there is none or it is not a number from -1 up. Pure. */
long long galera_seqno(const char *s);

/* The value of the line "key value" of body, in out; NULL when there is
 * none. Pure. */
const char *galera_field(const char *body, const char *key, char *out,
    size_t outlen);

/* bootstrap.c - starting a Galera cluster, joining one. */

/* Starts a new primary component on self (MariaDB restarted with
 * --wsrep-new-cluster) after checking that no other db host is in one
 * and none has a more recent state (a silent one: only with force).
 * Returns 0, or -1 after saying why. */
int galera_bootstrap(const struct cluster *c,
    const struct cluster_host *self, int force);

/* 1 when self is in a primary component or another db host is synced in
 * one (so that a (re)start of self joins it), 0 after saying so. */
int galera_joinable(const struct cluster *c,
    const struct cluster_host *self);

/* apply.c and status.c - the commands. Return an exit status. */
struct apply_opts {
	const char *host;	/* --host, or NULL */
	const char *render_dir;	/* render: write under it, check nothing */
	const char *webd_conf;	/* what the web role's webd.conf extends */
	int bootstrap;		/* start a new Galera cluster here */
	int force;		/* bootstrap even when a db host is silent */
};
int cluster_apply(const struct cluster *c, const struct apply_opts *o);
int cluster_status(const struct cluster *c, const char *force_host);

#endif
