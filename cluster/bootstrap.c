/* bootstrap.c - the Galera part of foobar-cluster bootstrap and apply:
 * a new primary component is started only here, only when no other db
 * host is in one, and only on the node with the most recent state
 * (grastate.dat, or the server's own recovery after a crash); apply
 * starts or restarts a node only when it has a primary component to
 * join. */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GRASTATE "/var/lib/mysql/grastate.dat"
#define NEW_CLUSTER_ENV "/run/mariadb-wsrep-new-cluster"
#define ASK_MS 20000	/* a stopped node may run its recovery first */

struct position {
	char uuid[64];		/* "none": never in a cluster */
	long long seqno;	/* -1: unknown */
};

/* "KEY:   value" of grastate.dat into out; 0, or -1 when missing. */
static int
grastate_field(const char *text, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
			p += klen + 1;
			p += strspn(p, " \t");
			snprintf(out, outlen, "%.*s", (int)strcspn(p, "\r\n"),
			    p);
			return 0;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return -1;
}

/* This node's last position: grastate.dat, or (seqno -1 after a crash)
 * what galera_recovery finds in InnoDB. The server must be stopped. */
static void
local_position(struct position *p)
{
	char *recover[] = { "/usr/bin/galera_recovery", NULL };
	char *g = sys_slurp(GRASTATE), seq[32] = "-1", out[8192];
	const char *at;
	size_t n;

	snprintf(p->uuid, sizeof(p->uuid), "none");
	p->seqno = -1;
	if (g != NULL) {
		(void)grastate_field(g, "uuid", p->uuid, sizeof(p->uuid));
		(void)grastate_field(g, "seqno", seq, sizeof(seq));
		p->seqno = galera_seqno(seq);
		free(g);
	}
	if (p->seqno != -1 || strcmp(p->uuid, "none") == 0)
		return;
	/* "--wsrep_start_position=UUID:SEQNO" */
	if (sys_run(recover, NULL, out, sizeof(out)) != 0 ||
	    (at = strstr(out, "--wsrep_start_position=")) == NULL)
		return;
	at += 23;
	n = strspn(at, "0123456789abcdef-");
	if (n == 0 || n >= sizeof(p->uuid) || at[n] != ':')
		return;
	snprintf(p->uuid, sizeof(p->uuid), "%.*s", (int)n, at);
	p->seqno = galera_seqno(at + n + 1);
}

/* 1 when this host's MariaDB is in a primary component. */
static int
local_primary(void)
{
	char *q[] = { "/usr/bin/mariadb", "--protocol=socket", "-uroot",
		"--batch", "--skip-column-names", "-e",
		"SHOW GLOBAL STATUS LIKE 'wsrep_cluster_status'", NULL };
	char out[512];

	return sys_run(q, NULL, out, sizeof(out)) == 0 &&
	    strstr(out, "\tPrimary") != NULL;
}

/* The other db hosts: none may be in a primary component, none may have
 * a more recent state than mine (when mine is given). Silent ones stop
 * a bootstrap unless forced. Returns 0 or -1 after saying why. */
static int
peers_allow(const struct cluster *c, const struct cluster_host *self,
    const struct position *mine, int force)
{
	const struct cluster_host *h;
	char body[2048], v[64], uuid[64];
	int rc = 0, code;
	long long seqno;
	size_t i;

	for (i = 0; (h = cluster_nth(c, ROLE_DB, i)) != NULL; i++) {
		if (h == self)
			continue;
		code = galera_ask(&h->address.a, "/position", ASK_MS, body,
		    sizeof(body));
		/* silent: fine for a new cluster (the others are not set
		 * up yet), not when this node has been in one */
		if (code == -1 && mine != NULL) {
			int fresh = strcmp(mine->uuid, "none") == 0;

			fprintf(stderr, "foobar-cluster: bootstrap: %s does "
			    "not answer on port %d: its state is unknown%s\n",
			    h->name, GALERA_CHECK_PORT, fresh || force ?
			    " (going on)" : "; start it, or use --force once "
			    "it is known to be behind or gone");
			rc = fresh || force ? rc : -1;
		}
		if (code == -1)
			continue;
		if (galera_field(body, "cluster_status", v, sizeof(v)) &&
		    strcmp(v, "Primary") == 0) {
			fprintf(stderr, "foobar-cluster: bootstrap: %s is in "
			    "a primary component already: run foobar-cluster "
			    "apply here to join it\n", h->name);
			return -1;
		}
		if (mine == NULL || !galera_field(body, "uuid", uuid,
		    sizeof(uuid)) || !galera_field(body, "seqno", v,
		    sizeof(v)) || strcmp(uuid, "none") == 0)
			continue;
		printf("bootstrap: %s: %s:%s\n", h->name, uuid, v);
		seqno = galera_seqno(v);	/* -1: unknown */
		if (strcmp(mine->uuid, "none") == 0 ||
		    (strcmp(uuid, mine->uuid) == 0 && seqno > mine->seqno) ||
		    (strcmp(uuid, mine->uuid) == 0 && seqno == -1 && !force)) {
			fprintf(stderr, "foobar-cluster: bootstrap: %s has a "
			    "more recent (or unknown) state (%s:%s, this host "
			    "%s:%lld): bootstrap there\n", h->name, uuid, v,
			    mine->uuid, mine->seqno);
			rc = -1;
		}
	}
	return rc;
}

/* safe_to_bootstrap: 1, which Galera wants of the node it starts from
 * after a crash of the whole cluster. */
static int
grastate_safe(char *err, size_t errlen)
{
	char *g = sys_slurp(GRASTATE), *at;
	int rc = 0;

	if (g == NULL)
		return 0;
	if ((at = strstr(g, "safe_to_bootstrap: 0")) != NULL) {
		at[19] = '1';
		rc = sys_write(GRASTATE, g, 0660, sys_gid("mysql"), err,
		    errlen);
	}
	free(g);
	return rc;
}

int
galera_bootstrap(const struct cluster *c, const struct cluster_host *self,
    int force)
{
	char *stop[] = { "/bin/systemctl", "stop", "mariadb.service", NULL };
	char *start[] = { "/bin/systemctl", "start", "mariadb.service", NULL };
	char out[4096], err[512];
	struct position mine;
	int rc;

	if (local_primary()) {
		fprintf(stderr, "foobar-cluster: bootstrap: this host is in a "
		    "primary component already; nothing to do\n");
		return -1;
	}
	if (peers_allow(c, self, NULL, force) == -1)
		return -1;
	(void)sys_run(stop, NULL, NULL, 0);
	local_position(&mine);
	printf("bootstrap: this host (%s): %s:%lld\n", self->name, mine.uuid,
	    mine.seqno);
	if (peers_allow(c, self, &mine, force) == -1)
		return -1;
	if (grastate_safe(err, sizeof(err)) == -1 ||
	    sys_write(NEW_CLUSTER_ENV, "_WSREP_NEW_CLUSTER="
	    "--wsrep-new-cluster\n", 0644, -1, err, sizeof(err)) == -1) {
		fprintf(stderr, "foobar-cluster: %s\n", err);
		return -1;
	}
	rc = sys_run(start, NULL, out, sizeof(out));
	unlink(NEW_CLUSTER_ENV);
	if (rc != 0) {
		fprintf(stderr, "foobar-cluster: bootstrap: mariadb did not "
		    "start (journalctl -u mariadb):\n%s\n", out);
		return -1;
	}
	printf("bootstrap: %s started a new primary component\n",
	    self->name);
	return 0;
}

int
galera_joinable(const struct cluster *c, const struct cluster_host *self)
{
	const struct cluster_host *h;
	char body[2048];
	size_t i;

	if (local_primary())
		return 1;
	for (i = 0; (h = cluster_nth(c, ROLE_DB, i)) != NULL; i++)
		if (h != self && galera_ask(&h->address.a, "/", 3000, body,
		    sizeof(body)) == 200)
			return 1;
	fprintf(stderr, "foobar-cluster: no db host is synced in a primary "
	    "component: start the cluster with foobar-cluster bootstrap on "
	    "the db host with the most recent state\n");
	return 0;
}
