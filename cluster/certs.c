/* certs.c - the certificates a host gets from apply: the site's CA (the
 * one derived from the secret, or the administrator's tls_ca) and, on a
 * db or arbitrator host (Galera's members), its own certificate and key: the administrator's tls_cert and
 * tls_key, or a leaf of the derived CA, issued again only when the one
 * installed no longer fits (another CA, another address, near its end). */
#include "cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* "PATH:LINE: KEY FILE" of the administrator's key in [cluster] or
 * [host NAME] (h NULL: [cluster]), in out. */
static void
certs_where(const struct cluster *c, const struct cluster_host *h,
    const char *key, const char *file, char *out, size_t outlen)
{
	char at[300];

	cluster_where(c, h, key, at, sizeof(at));
	snprintf(out, outlen, "%s: %s %s", at, key, file);
}

/* The administrator's file named by key, or NULL after saying why. */
static char *
certs_read(const struct cluster *c, const struct cluster_host *h,
    const char *key, const char *file)
{
	char at[4300];
	char *text = sys_slurp(file);

	if (text == NULL || text[0] == '\0') {
		certs_where(c, h, key, file, at, sizeof(at));
		fprintf(stderr, "%s: %s\n", at, text == NULL ?
		    strerror(errno) : "empty or unreadable");
		free(text);
		return NULL;
	}
	return text;
}

/* The administrator's CA, its PEM text in *pem. NULL after saying why. */
static struct tls_ca *
certs_admin_ca(const struct cluster *c, char **pem)
{
	char at[4300], err[512];
	struct tls_ca *ca;

	if ((*pem = certs_read(c, NULL, "tls_ca", c->tls_ca)) == NULL)
		return NULL;
	if ((ca = tls_ca_import(*pem, err, sizeof(err))) == NULL) {
		certs_where(c, NULL, "tls_ca", c->tls_ca, at, sizeof(at));
		fprintf(stderr, "%s: %s\n", at, err);
		free(*pem);
		*pem = NULL;
	}
	return ca;
}

int
certs_check(const struct cluster *c)
{
	struct tls_ca *ca;
	char *pem;

	if (c->tls_ca == NULL)
		return 0;
	if ((ca = certs_admin_ca(c, &pem)) == NULL)
		return -1;
	tls_ca_free(ca);
	free(pem);
	return 0;
}

/* The addresses a member's certificate names: its own (the web hosts
 * and the other nodes reach it there) and, on a db host of a Galera site,
 * 127.0.0.1 (the web hosts' clients reach it through their local
 * HAProxy). */
static void
certs_addrs(const struct cluster *c, const struct cluster_host *self,
    const char *addrs[3])
{
	addrs[0] = self->address.text;
	addrs[1] = cluster_galera(c) && (self->roles & ROLE_DB) ?
	    "127.0.0.1" : NULL;
	addrs[2] = NULL;
}

/* The administrator's tls_cert and tls_key of self, checked. */
static int
certs_admin_leaf(const struct cluster *c, const struct cluster_host *self,
    const struct tls_ca *ca, struct cluster_certs *out)
{
	char at[4300], err[512];
	const char *addrs[3];

	if ((out->cert = certs_read(c, self, "tls_cert", self->tls_cert)) ==
	    NULL || (out->key = certs_read(c, self, "tls_key",
	    self->tls_key)) == NULL)
		return -1;
	certs_addrs(c, self, addrs);
	certs_where(c, self, "tls_cert", self->tls_cert, at, sizeof(at));
	if (tls_leaf_check(ca, out->cert, out->key, addrs, time(NULL), 0, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", at, err);
		return -1;
	}
	if (tls_leaf_check(ca, out->cert, out->key, addrs, time(NULL),
	    TLS_RENEW_DAYS, err, sizeof(err)) == -1)
		fprintf(stderr, "foobar-cluster: warning: %s: %s\n", at, err);
	return 0;
}

/* The installed leaf when it still fits, else a new one. */
static int
certs_derived_leaf(const struct cluster *c, const struct cluster_host *self,
    const struct tls_ca *ca, int reuse, struct cluster_certs *out)
{
	char err[512], why[600];
	const char *addrs[3];

	certs_addrs(c, self, addrs);
	snprintf(why, sizeof(why), "none yet");
	if (reuse) {
		out->cert = sys_slurp(TLS_CERT_FILE);
		out->key = sys_slurp(TLS_KEY_FILE);
		if (out->cert != NULL && out->key != NULL) {
			if (tls_leaf_check(ca, out->cert, out->key, addrs,
			    time(NULL), TLS_RENEW_DAYS, err, sizeof(err)) == 0)
				return 0;
			snprintf(why, sizeof(why), "the one installed: %s",
			    err);
		}
		free(out->cert);
		free(out->key);
		out->cert = out->key = NULL;
	}
	if (tls_leaf_issue(ca, self->name, addrs, time(NULL), &out->cert,
	    &out->key, err, sizeof(err)) == -1) {
		fprintf(stderr, "foobar-cluster: %s: %s\n", TLS_CERT_FILE, err);
		return -1;
	}
	if (reuse)
		printf("host.pem: a new certificate for %s%s%s (%s)\n",
		    addrs[0], addrs[1] ? " and " : "", addrs[1] ? addrs[1] : "",
		    why);
	return 0;
}

int
certs_make(const struct cluster *c, const struct cluster_host *self,
    const struct cluster_secret *s, int reuse, struct cluster_certs *out)
{
	struct tls_ca *ca;
	char err[512];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (c->tls_ca != NULL) {
		ca = certs_admin_ca(c, &out->ca);
	} else {
		ca = tls_ca_derive(s, c->name, err, sizeof(err));
		if (ca == NULL)
			fprintf(stderr, "foobar-cluster: %s\n", err);
		else if ((out->ca = tls_ca_pem(ca)) == NULL)
			rc = -1;
	}
	if (ca == NULL)
		return -1;
	if (rc == 0 && (self->roles & GALERA_MEMBERS))
		rc = c->tls_ca != NULL ? certs_admin_leaf(c, self, ca, out) :
		    certs_derived_leaf(c, self, ca, reuse, out);
	tls_ca_free(ca);
	if (rc == -1)
		certs_free(out);
	return rc;
}

void
certs_free(struct cluster_certs *cc)
{
	free(cc->ca);
	free(cc->cert);
	if (cc->key != NULL) {
		explicit_bzero(cc->key, strlen(cc->key));
		free(cc->key);
	}
	memset(cc, 0, sizeof(*cc));
}
