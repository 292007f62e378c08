/* tls.c - the site's certificates; the one file of foobar-cluster that
 * includes GnuTLS. The CA of a site is derived from its secret: an RSA key
 * made by FIPS 186-4 provable generation from a seed (HMAC-SHA256 of the
 * secret), and a certificate whose every field is fixed, signed with
 * PKCS#1 v1.5 (deterministic): every host makes the same bytes, so no CA
 * file is copied between hosts. Leaves are ECDSA P-256 keys of their own.
 * No file I/O: PEM texts in, PEM texts out. */
#include "cluster.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "sha256.h"

#define CA_BITS 3072
#define CA_NOT_BEFORE ((time_t)1577836800)	/* 2020-01-01 */
#define TLS_MAX_CAS 16

struct tls_ca {
	gnutls_x509_crt_t crt[TLS_MAX_CAS];
	unsigned n;
	gnutls_x509_privkey_t key;	/* NULL: it can verify, not issue */
};

static int
tls_fail(char *err, size_t errlen, const char *what, int rc)
{
	snprintf(err, errlen, "%s: %s", what, gnutls_strerror(rc));
	return -1;
}

void
tls_ca_free(struct tls_ca *ca)
{
	unsigned i;

	if (ca == NULL)
		return;
	for (i = 0; i < ca->n; i++)
		gnutls_x509_crt_deinit(ca->crt[i]);
	if (ca->key != NULL)
		gnutls_x509_privkey_deinit(ca->key);
	free(ca);
}

/* O=foobar, CN=cn. Returns a GnuTLS code. */
static int
set_dn(gnutls_x509_crt_t crt, const char *cn)
{
	int rc;

	rc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME,
	    0, "foobar", 6);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn));
	return rc;
}

/* The subject key identifier of key, set on crt. */
static int
set_key_id(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	unsigned char id[64];
	size_t n = sizeof(id);
	int rc;

	rc = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA1, id, &n);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_subject_key_id(crt, id, n);
	return rc;
}

/* crt as the DER that others read: GnuTLS compares an issuer with the
 * subject as it was imported, which a certificate made here lacks. */
static int
reimport(gnutls_x509_crt_t *crt)
{
	gnutls_x509_crt_t again;
	gnutls_datum_t d;
	int rc;

	if ((rc = gnutls_x509_crt_export2(*crt, GNUTLS_X509_FMT_DER, &d)) < 0)
		return rc;
	if ((rc = gnutls_x509_crt_init(&again)) >= 0) {
		rc = gnutls_x509_crt_import(again, &d, GNUTLS_X509_FMT_DER);
		if (rc < 0) {
			gnutls_x509_crt_deinit(again);
		} else {
			gnutls_x509_crt_deinit(*crt);
			*crt = again;
		}
	}
	gnutls_free(d.data);
	return rc;
}

static int
ca_cert(struct tls_ca *ca, const unsigned char serial[16], const char *cn)
{
	gnutls_x509_crt_t crt;
	int rc;

	if ((rc = gnutls_x509_crt_init(&crt)) < 0)
		return rc;
	ca->crt[ca->n++] = crt;
	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, 16)) < 0 ||
	    (rc = set_dn(crt, cn)) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, CA_NOT_BEFORE)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt,
	    GNUTLS_X509_NO_WELL_DEFINED_EXPIRATION)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, ca->key)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 1, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN |
	    GNUTLS_KEY_CRL_SIGN)) < 0 ||
	    (rc = set_key_id(crt, ca->key)) < 0 ||
	    (rc = gnutls_x509_crt_sign2(crt, crt, ca->key, GNUTLS_DIG_SHA256,
	    0)) < 0)
		return rc;
	return reimport(&ca->crt[ca->n - 1]);
}

struct tls_ca *
tls_ca_derive(const struct cluster_secret *s, const char *site, char *err,
    size_t errlen)
{
	static const char seed_purpose[] = "foobar-tls-ca-key";
	static const char serial_purpose[] = "foobar-tls-ca-serial";
	unsigned char seed[32], serial[32];
	gnutls_keygen_data_st kd;
	struct tls_ca *ca;
	char cn[64];
	int rc;

	if ((ca = calloc(1, sizeof(*ca))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sha256_hmac(s->b, s->len, seed_purpose, strlen(seed_purpose), seed);
	sha256_hmac(s->b, s->len, serial_purpose, strlen(serial_purpose),
	    serial);
	serial[0] = (serial[0] & 0x7f) | 0x40;	/* positive, 16 bytes */
	kd.type = GNUTLS_KEYGEN_SEED;
	kd.data = seed;
	kd.size = sizeof(seed);
	if ((rc = gnutls_x509_privkey_init(&ca->key)) < 0 ||
	    (rc = gnutls_x509_privkey_generate2(ca->key, GNUTLS_PK_RSA,
	    CA_BITS, GNUTLS_PRIVKEY_FLAG_PROVABLE, &kd, 1)) < 0) {
		explicit_bzero(seed, sizeof(seed));
		tls_fail(err, errlen, "the CA key", rc);
		tls_ca_free(ca);
		return NULL;
	}
	explicit_bzero(seed, sizeof(seed));
	snprintf(cn, sizeof(cn), "foobar site %s CA", site);
	if ((rc = ca_cert(ca, serial, cn)) < 0) {
		tls_fail(err, errlen, "the CA certificate", rc);
		tls_ca_free(ca);
		return NULL;
	}
	return ca;
}

/* The certificates of pem into crt[], at most max. Returns how many, or
 * a negative GnuTLS code. */
static int
crts_import(const char *pem, gnutls_x509_crt_t *crt, unsigned max)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	unsigned n = max;
	int rc;

	rc = gnutls_x509_crt_list_import(crt, &n, &d, GNUTLS_X509_FMT_PEM,
	    GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	return rc < 0 ? rc : (int)n;
}

struct tls_ca *
tls_ca_import(const char *pem, char *err, size_t errlen)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	struct tls_ca *ca;
	unsigned n = TLS_MAX_CAS;
	int rc;

	if ((ca = calloc(1, sizeof(*ca))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* several CAs, in any order: the new one beside the old one while
	 * the leaves are replaced */
	rc = gnutls_x509_crt_list_import(ca->crt, &n, &d, GNUTLS_X509_FMT_PEM,
	    0);
	if (rc <= 0) {
		if (rc == 0)
			snprintf(err, errlen, "no PEM certificate");
		else
			tls_fail(err, errlen, "not PEM certificates", rc);
		tls_ca_free(ca);
		return NULL;
	}
	ca->n = n;
	return ca;
}

char *
tls_ca_pem(const struct tls_ca *ca)
{
	gnutls_datum_t d;
	char *pem = NULL, *np;
	size_t len = 0;
	unsigned i;

	for (i = 0; i < ca->n; i++) {
		if (gnutls_x509_crt_export2(ca->crt[i], GNUTLS_X509_FMT_PEM,
		    &d) < 0)
			goto fail;
		if ((np = realloc(pem, len + d.size + 1)) == NULL) {
			gnutls_free(d.data);
			goto fail;
		}
		pem = np;
		memcpy(pem + len, d.data, d.size);
		len += d.size;
		pem[len] = '\0';
		gnutls_free(d.data);
	}
	return pem;
fail:
	free(pem);
	return NULL;
}

/* 1 when crt names every address of addrs, else 0 with the first that
 * it lacks in err. */
static int
names_all(gnutls_x509_crt_t crt, const char *const *addrs, char *err,
    size_t errlen)
{
	struct in_addr a;

	for (; *addrs != NULL; addrs++) {
		if (inet_pton(AF_INET, *addrs, &a) != 1 ||
		    gnutls_x509_crt_check_ip(crt, (unsigned char *)&a, 4,
		    0) == 0) {
			snprintf(err, errlen, "the certificate does not name "
			    "%s (subjectAltName IP address)", *addrs);
			return 0;
		}
	}
	return 1;
}

/* 1 when key is the private key of crt, else 0. */
static int
key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	unsigned char a[64], b[64];
	size_t na = sizeof(a), nb = sizeof(b);

	return gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a,
	    &na) >= 0 && gnutls_x509_privkey_get_key_id(key,
	    GNUTLS_KEYID_USE_SHA256, b, &nb) >= 0 && na == nb &&
	    memcmp(a, b, na) == 0;
}

/* 0 when the chain crt[0..n) verifies against ca, else -1 with why. */
static int
chain_verifies(const struct tls_ca *ca, gnutls_x509_crt_t *crt, unsigned n,
    char *err, size_t errlen)
{
	gnutls_datum_t why;
	unsigned status = 0;
	int rc;

	rc = gnutls_x509_crt_list_verify(crt, n, ca->crt, ca->n, NULL, 0, 0,
	    &status);
	if (rc < 0)
		return tls_fail(err, errlen, "verify", rc);
	if (status == 0)
		return 0;
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &why, 0) >= 0) {
		snprintf(err, errlen, "not valid for the site's CA: %s",
		    (char *)why.data);
		gnutls_free(why.data);
	} else {
		snprintf(err, errlen, "not valid for the site's CA");
	}
	return -1;
}

int
tls_leaf_check(const struct tls_ca *ca, const char *cert_pem,
    const char *key_pem, const char *const *addrs, time_t now, int min_days,
    char *err, size_t errlen)
{
	gnutls_x509_crt_t crt[TLS_MAX_CAS];
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t kd = { (unsigned char *)key_pem,
		(unsigned)strlen(key_pem) };
	int n, rc = -1, i;
	time_t end;

	if ((n = crts_import(cert_pem, crt, TLS_MAX_CAS)) <= 0) {
		if (n == 0)
			snprintf(err, errlen, "no PEM certificate");
		else
			tls_fail(err, errlen, "certificate", n);
		return -1;
	}
	if ((i = gnutls_x509_privkey_init(&key)) < 0 ||
	    (i = gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN)) < 0) {
		tls_fail(err, errlen, "key (PEM, not encrypted)", i);
		goto done;
	}
	if (!key_matches(crt[0], key)) {
		snprintf(err, errlen, "the key is not the certificate's");
		goto done;
	}
	if (chain_verifies(ca, crt, (unsigned)n, err, errlen) == -1 ||
	    !names_all(crt[0], addrs, err, errlen))
		goto done;
	end = gnutls_x509_crt_get_expiration_time(crt[0]);
	if (end - now < (time_t)min_days * 86400) {
		snprintf(err, errlen, "expires in %lld days",
		    (long long)((end - now) / 86400));
		goto done;
	}
	rc = 0;
done:
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crt[i]);
	return rc;
}

static int
leaf_names(gnutls_x509_crt_t crt, const char *name, const char *const *addrs)
{
	struct in_addr a;
	int rc;

	rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	    name, (unsigned)strlen(name), GNUTLS_FSAN_APPEND);
	for (; rc >= 0 && *addrs != NULL; addrs++) {
		if (inet_pton(AF_INET, *addrs, &a) != 1)
			return GNUTLS_E_INVALID_REQUEST;
		rc = gnutls_x509_crt_set_subject_alt_name(crt,
		    GNUTLS_SAN_IPADDRESS, &a, 4, GNUTLS_FSAN_APPEND);
	}
	return rc;
}

static int
leaf_fields(gnutls_x509_crt_t crt, const struct tls_ca *ca,
    gnutls_x509_privkey_t key, const char *name, const char *const *addrs,
    time_t now)
{
	unsigned char serial[16], id[64];
	size_t n = sizeof(id);
	int rc;

	if ((rc = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
		return rc;
	serial[0] = (serial[0] & 0x7f) | 0x40;
	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (rc = set_dn(crt, name)) < 0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(crt,
	    now + (time_t)TLS_LEAF_DAYS * 86400)) < 0 ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(crt,
	    GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(crt,
	    GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0 ||
	    (rc = leaf_names(crt, name, addrs)) < 0 ||
	    (rc = set_key_id(crt, key)) < 0 ||
	    (rc = gnutls_x509_crt_get_subject_key_id(ca->crt[0], id, &n,
	    NULL)) < 0 ||
	    (rc = gnutls_x509_crt_set_authority_key_id(crt, id, n)) < 0)
		return rc;
	return gnutls_x509_crt_sign2(crt, ca->crt[0], ca->key,
	    GNUTLS_DIG_SHA256, 0);
}

/* d as a malloc'd NUL-terminated text (d freed), or NULL. */
static char *
datum_text(gnutls_datum_t *d)
{
	char *s = malloc(d->size + 1);

	if (s != NULL) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	explicit_bzero(d->data, d->size);
	gnutls_free(d->data);
	return s;
}

int
tls_leaf_issue(const struct tls_ca *ca, const char *name,
    const char *const *addrs, time_t now, char **cert_pem, char **key_pem,
    char *err, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t c = { NULL, 0 }, k = { NULL, 0 };
	int rc;

	*cert_pem = *key_pem = NULL;
	if (ca->key == NULL) {
		snprintf(err, errlen, "the administrator's CA cannot issue "
		    "(give tls_cert and tls_key)");
		return -1;
	}
	if ((rc = gnutls_x509_privkey_init(&key)) < 0 ||
	    (rc = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (rc = gnutls_x509_crt_init(&crt)) < 0 ||
	    (rc = leaf_fields(crt, ca, key, name, addrs, now)) < 0 ||
	    (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c)) < 0 ||
	    (rc = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN, &k)) < 0) {
		tls_fail(err, errlen, "new certificate", rc);
		if (c.data != NULL)
			gnutls_free(c.data);
		rc = -1;
	} else {
		*cert_pem = datum_text(&c);
		*key_pem = datum_text(&k);
		rc = 0;
		if (*cert_pem == NULL || *key_pem == NULL) {
			free(*cert_pem);
			free(*key_pem);
			*cert_pem = *key_pem = NULL;
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc;
}
