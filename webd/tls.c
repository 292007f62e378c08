/* tls.c - HTTPS: the certificates of [tls] and [tls NAME], checked when
 * loaded and chosen per handshake by SNI; the GnuTLS priorities; session
 * tickets. The only file of webd that includes GnuTLS.
 *
 * A reload loads new certificates into a new struct tls_ctx for the new
 * server (http.c); connections of the old server keep the old one, which
 * lives until that server stops. */
#include "webd.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Mozilla's "intermediate" profile less its DHE suites: TLS 1.2 and 1.3,
 * ECDHE with ECDSA or RSA certificates, AEAD ciphers only, no SHA-1
 * signatures; the server's order (all strong). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:+AES-128-GCM:" \
	"+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-GROUP-ALL:" \
	"+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:-SIGN-RSA-SHA1:" \
	"-SIGN-ECDSA-SHA1:%SERVER_PRECEDENCE"

/* The largest certificate or key file read. */
#define TLS_FILE_MAX (1024 * 1024)

/* One certificate chain and its key. */
struct tls_cert {
	char *name;		/* NULL: the default */
	gnutls_pcert_st *pcert;
	unsigned npcert;
	gnutls_privkey_t key;
	time_t expires;
	char serial[64];	/* hex, for the log */
};

struct tls_ctx {
	struct tls_cert *certs;	/* certs[0] is the default */
	size_t n;
};

/* How much one recv(2) of tls_pull() asks for: a whole record of the
 * largest size (16 KiB of data, 5 bytes of header, up to 256 of
 * padding and tag) and then some. */
#define TLS_READ_AHEAD (17 * 1024)

/* The certificates that handshakes on this thread choose from. */
static __thread const struct tls_ctx *tls_thread;

/* The session ticket key, one for the process so that a ticket is good
 * on every thread and across reloads. */
static gnutls_datum_t tls_ticket_key;

const char *
tls_priorities(void)
{
	return TLS_PRIORITIES;
}

int
tls_init(char *err, size_t errlen)
{
	int rc;

	if (tls_ticket_key.data != NULL)
		return 0;
	rc = gnutls_session_ticket_key_generate(&tls_ticket_key);
	if (rc < 0) {
		snprintf(err, errlen, "session ticket key: %s",
		    gnutls_strerror(rc));
		return -1;
	}
	return 0;
}

/* Reads a whole file into d (gnutls_free it). 0, or -1 with errno. */
static int
tls_read_file(const char *path, gnutls_datum_t *d)
{
	unsigned char *buf;
	size_t got = 0;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	buf = gnutls_malloc(TLS_FILE_MAX + 1);
	if (buf == NULL) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, TLS_FILE_MAX + 1 - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > TLS_FILE_MAX) {
			errno = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[got] = '\0';
	d->data = buf;
	d->size = (unsigned)got;
	return 0;
fail:
	e = errno;
	close(fd);
	gnutls_free(buf);
	errno = e;
	return -1;
}

static void
tls_date(char *buf, size_t len, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* 0 when the certificate's and the key's public keys are the same. */
static int
tls_key_matches(gnutls_x509_crt_t crt, gnutls_privkey_t key)
{
	gnutls_pubkey_t a = NULL, b = NULL;
	gnutls_datum_t da = { NULL, 0 }, db = { NULL, 0 };
	int rc = -1;

	if (gnutls_pubkey_init(&a) < 0 || gnutls_pubkey_init(&b) < 0)
		goto out;
	if (gnutls_pubkey_import_x509(a, crt, 0) < 0 ||
	    gnutls_pubkey_import_privkey(b, key, 0, 0) < 0 ||
	    gnutls_pubkey_export2(a, GNUTLS_X509_FMT_DER, &da) < 0 ||
	    gnutls_pubkey_export2(b, GNUTLS_X509_FMT_DER, &db) < 0)
		goto out;
	if (da.size == db.size && memcmp(da.data, db.data, da.size) == 0)
		rc = 0;
out:
	gnutls_free(da.data);
	gnutls_free(db.data);
	if (a != NULL)
		gnutls_pubkey_deinit(a);
	if (b != NULL)
		gnutls_pubkey_deinit(b);
	return rc;
}

static void
tls_cert_clear(struct tls_cert *c)
{
	unsigned i;

	for (i = 0; i < c->npcert; i++)
		gnutls_pcert_deinit(&c->pcert[i]);
	free(c->pcert);
	if (c->key != NULL)
		gnutls_privkey_deinit(c->key);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

/* The chain in certfile (leaf first) and the key in keyfile, checked at
 * now: readable PEM, the leaf valid, the key its own. 0, or -1 with
 * "certificate FILE: ..." or "key FILE: ..." in err. */
static int
tls_cert_load(struct tls_cert *c, const char *certfile, const char *keyfile,
    time_t now, char *err, size_t errlen)
{
	gnutls_datum_t cd = { NULL, 0 }, kd = { NULL, 0 };
	gnutls_x509_crt_t *crts = NULL;
	unsigned ncrts = 0, i;
	unsigned char serial[40];
	size_t slen = sizeof(serial);
	time_t t;
	char date[64];
	int rc;

	memset(c, 0, sizeof(*c));
	if (tls_read_file(certfile, &cd) == -1) {
		snprintf(err, errlen, "certificate %s: %s", certfile,
		    strerror(errno));
		goto fail;
	}
	if (tls_read_file(keyfile, &kd) == -1) {
		snprintf(err, errlen, "key %s: %s", keyfile, strerror(errno));
		goto fail;
	}
	if (strstr((const char *)cd.data, "-----BEGIN CERTIFICATE-----") ==
	    NULL) {
		snprintf(err, errlen, "certificate %s: no PEM certificate in "
		    "it", certfile);
		goto fail;
	}
	rc = gnutls_x509_crt_list_import2(&crts, &ncrts, &cd,
	    GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || ncrts == 0) {
		snprintf(err, errlen, "certificate %s: not a PEM certificate: "
		    "%s", certfile, gnutls_strerror(rc));
		crts = NULL;
		ncrts = 0;
		goto fail;
	}
	t = gnutls_x509_crt_get_expiration_time(crts[0]);
	if (t == (time_t)-1 || t < now) {
		tls_date(date, sizeof(date), t);
		snprintf(err, errlen, "certificate %s: expired on %s",
		    certfile, date);
		goto fail;
	}
	c->expires = t;
	t = gnutls_x509_crt_get_activation_time(crts[0]);
	if (t == (time_t)-1 || t > now) {
		tls_date(date, sizeof(date), t);
		snprintf(err, errlen, "certificate %s: not valid before %s",
		    certfile, date);
		goto fail;
	}
	if (gnutls_privkey_init(&c->key) < 0 ||
	    gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM,
	    NULL, 0) < 0) {
		snprintf(err, errlen, "key %s: not a PEM private key, "
		    "or encrypted", keyfile);
		goto fail;
	}
	if (tls_key_matches(crts[0], c->key) == -1) {
		snprintf(err, errlen, "key %s does not match certificate %s",
		    keyfile, certfile);
		goto fail;
	}
	c->pcert = calloc(ncrts, sizeof(*c->pcert));
	if (c->pcert == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->npcert = ncrts;
	rc = gnutls_pcert_import_x509_list(c->pcert, crts, &c->npcert, 0);
	if (rc < 0) {
		c->npcert = 0;
		snprintf(err, errlen, "certificate %s: %s", certfile,
		    gnutls_strerror(rc));
		goto fail;
	}
	if (gnutls_x509_crt_get_serial(crts[0], serial, &slen) == 0)
		for (i = 0; i < slen && i < 31; i++)
			snprintf(c->serial + 2 * i, 3, "%02X", serial[i]);
	rc = 0;
	goto out;
fail:
	tls_cert_clear(c);
	rc = -1;
out:
	for (i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	gnutls_free(cd.data);
	if (kd.data != NULL) {
		memset(kd.data, 0, kd.size);
		gnutls_free(kd.data);
	}
	return rc;
}

int
tls_check(const char *certfile, const char *keyfile, time_t now, char *err,
    size_t errlen)
{
	struct tls_cert c;

	if (tls_cert_load(&c, certfile, keyfile, now, err, errlen) == -1)
		return -1;
	tls_cert_clear(&c);
	return 0;
}

struct tls_ctx *
tls_load(const struct webd_config *cf, char *err, size_t errlen)
{
	struct tls_ctx *t;
	char section[300], msg[1024];
	size_t i;

	t = calloc(1, sizeof(*t));
	if (t == NULL || (cf->ntls > 0 &&
	    (t->certs = calloc(cf->ntls, sizeof(*t->certs))) == NULL)) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < cf->ntls; i++) {
		const struct webd_tls *wt = cf->tls[i];
		int line;

		snprintf(section, sizeof(section), "tls%s%s",
		    wt->name ? " " : "", wt->name ? wt->name : "");
		if (tls_cert_load(&t->certs[i], wt->certificate, wt->key,
		    time(NULL), msg, sizeof(msg)) == -1) {
			line = conf_key_line(cf->path, section,
			    strncmp(msg, "key ", 4) == 0 ? "key" :
			    "certificate", 0);
			if (line > 0)
				snprintf(err, errlen, "%s:%d: %s", cf->path,
				    line, msg);
			else
				snprintf(err, errlen, "%s: [%s] %s", cf->path,
				    section, msg);
			tls_free(t);
			return NULL;
		}
		t->n++;
		if (wt->name != NULL &&
		    (t->certs[i].name = strdup(wt->name)) == NULL) {
			snprintf(err, errlen, "out of memory");
			tls_free(t);
			return NULL;
		}
	}
	return t;
}

void
tls_free(struct tls_ctx *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		tls_cert_clear(&t->certs[i]);
	free(t->certs);
	free(t);
}

size_t
tls_count(const struct tls_ctx *t)
{
	return t != NULL ? t->n : 0;
}

const char *
tls_describe(const struct tls_ctx *t, size_t i, char *buf, size_t len)
{
	const struct tls_cert *c = &t->certs[i];
	char date[64];

	tls_date(date, sizeof(date), c->expires);
	snprintf(buf, len, "%s: serial %s, expires %s",
	    c->name ? c->name : "default", c->serial, date);
	return buf;
}

void
tls_thread_use(const struct tls_ctx *t)
{
	tls_thread = t;
}

/* GnuTLS asks for the certificate of each full handshake: the one for
 * the name the client sent (SNI), or the default. */
static int
tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn,
    int nreqs, const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
    gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *privkey)
{
	const struct tls_ctx *t = tls_thread;
	const struct tls_cert *c;
	char name[256];
	size_t len = sizeof(name), i;
	unsigned type;

	if (t == NULL || t->n == 0)
		return -1;
	c = &t->certs[0];
	if (gnutls_server_name_get(session, name, &len, &type, 0) == 0 &&
	    type == GNUTLS_NAME_DNS) {
		for (i = 1; i < t->n; i++)
			if (strcasecmp(t->certs[i].name, name) == 0) {
				c = &t->certs[i];
				break;
			}
	}
	*pcert = c->pcert;
	*pcert_length = c->npcert;
	*privkey = c->key;
	return 0;
}

tls_fn
tls_cert_callback(void)
{
	return (tls_fn)tls_retrieve;
}

static void
tls_in_drop(struct tls_in *in)
{
	free(in->buf);
	in->buf = NULL;
	in->off = in->len = 0;
}

/* Hands out what an earlier recv read ahead; frees it once all taken. */
static ssize_t
tls_in_take(struct tls_in *in, void *data, size_t size)
{
	size_t n = in->len - in->off < size ? in->len - in->off : size;

	memcpy(data, in->buf + in->off, n);
	in->off += n;
	if (in->off == in->len)
		tls_in_drop(in);
	return (ssize_t)n;
}

static void
tls_watch(struct tls_in *in)
{
	struct tls_turn *t = in->turn;

	in->grace = 1;
	if (in->watched || t == NULL)
		return;
	in->watched = 1;
	in->wprev = NULL;
	in->wnext = t->watch;
	if (t->watch != NULL)
		t->watch->wprev = in;
	t->watch = in;
}

static void
tls_unwatch(struct tls_in *in)
{
	if (!in->watched)
		return;
	if (in->wprev != NULL)
		in->wprev->wnext = in->wnext;
	else
		in->turn->watch = in->wnext;
	if (in->wnext != NULL)
		in->wnext->wprev = in->wprev;
	in->wprev = in->wnext = NULL;
	in->watched = 0;
}

/* Counts what a read moved: bytes put the connection on the watch (GnuTLS
 * may keep some of them for libmicrohttpd's next turns); nothing to read,
 * the socket and the read-ahead empty, takes it off (GnuTLS asks the
 * socket only once it has handed out all it had). */
static ssize_t
tls_pulled(struct tls_in *in, ssize_t n)
{
	if (n > 0) {
		if (in->turn != NULL)
			in->turn->moved++;
		tls_watch(in);
	} else if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		tls_unwatch(in);
	}
	return n;
}

/* GnuTLS's pull function. GnuTLS asks for a record's 5-byte header and
 * then for its body, a recv(2) each; this reads what the socket holds (up
 * to TLS_READ_AHEAD) at once, per thread, and keeps what GnuTLS did not
 * ask for yet in in->buf. An idle connection holds nothing: the leftover
 * is the rest of a record GnuTLS is reading. EAGAIN only when nothing is
 * kept and the socket has nothing either, so libmicrohttpd's
 * edge-triggered epoll still sees every byte. */
static ssize_t
tls_pull(gnutls_transport_ptr_t p, void *data, size_t size)
{
	static __thread unsigned char ahead[TLS_READ_AHEAD];
	struct tls_in *in = p;
	ssize_t n;

	if (in->len > 0)
		return tls_pulled(in, tls_in_take(in, data, size));
	if (size >= sizeof(ahead))
		return tls_pulled(in, recv(in->fd, data, size, 0));
	n = tls_pulled(in, recv(in->fd, ahead, sizeof(ahead), 0));
	if (n <= (ssize_t)size) {
		if (n > 0)
			memcpy(data, ahead, (size_t)n);
		return n;
	}
	in->buf = malloc((size_t)n - size);
	if (in->buf == NULL) {
		errno = ENOMEM;	/* bytes lost: the connection ends */
		return -1;
	}
	memcpy(in->buf, ahead + size, (size_t)n - size);
	in->off = 0;
	in->len = (size_t)n - size;
	memcpy(data, ahead, size);
	return (ssize_t)size;
}

/* GnuTLS's pull timeout function (GnuTLS wants one beside a pull
 * function of one's own): data kept counts as data ready. */
static int
tls_pull_timeout(gnutls_transport_ptr_t p, unsigned ms)
{
	struct tls_in *in = p;
	struct pollfd pfd;
	int rc;

	if (in->len > 0)
		return 1;
	pfd.fd = in->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	do
		rc = poll(&pfd, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 :
		    (int)ms);
	while (rc == -1 && errno == EINTR);
	return rc;
}

/* GnuTLS's push function: what libmicrohttpd's send would do (GnuTLS's
 * own, a sendmsg(2) of all its buffers), counted. */
static ssize_t
tls_push(gnutls_transport_ptr_t p, const giovec_t *iov, int iovcnt)
{
	struct tls_in *in = p;
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	n = sendmsg(in->fd, &mh, MSG_NOSIGNAL);
	if (n > 0 && in->turn != NULL)
		in->turn->moved++;
	if (n >= 0) {
		size_t want = 0;
		int i;

		for (i = 0; i < iovcnt; i++)
			want += iov[i].iov_len;
		in->blocked = (size_t)n < want;
	} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
		in->blocked = 1;
	}
	return n;
}

int
tls_cork(struct tls_in *in)
{
	if (in->corked)
		return 1;
	if (in->session == NULL || in->blocked)
		return 0;
	gnutls_record_cork(in->session);
	in->corked = 1;
	return 1;
}

int
tls_uncork(struct tls_in *in)
{
	int off = 0;
	ssize_t n;

	if (!in->corked)
		return 0;
	n = gnutls_record_uncork(in->session, 0);
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
		return 1;	/* corked again, with the rest */
	in->corked = 0;
	if (n < 0)
		return -1;
	/* libmicrohttpd 0.9.75 corks the socket (TCP_CORK) before an answer
	 * under 1,400 bytes whose body is in memory, once, and never takes
	 * the cork off a TLS connection: it pushes each answer with a
	 * TCP_NODELAY setsockopt after its last send, which here found
	 * GnuTLS holding everything. Taking the cork off pushes what was
	 * just sent; libmicrohttpd, which thinks the socket still corked,
	 * neither corks it again nor needs it corked. Every later answer
	 * held here goes out with its sendmsg(2) alone (TCP_NODELAY is on by
	 * then). */
	if (in->tcp_corked) {
		setsockopt(in->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
		in->tcp_corked = 0;
	}
	return 0;
}

void
tls_in_free(struct tls_in *in)
{
	tls_unwatch(in);
	tls_in_drop(in);
}

int
tls_turn_owed(struct tls_turn *t)
{
	struct tls_in *in, *next;
	int owed = 0;

	for (in = t->watch; in != NULL; in = next) {
		next = in->wnext;
		if (in->suspended)
			continue;
		if (in->len > 0 || gnutls_record_check_pending(in->session) > 0)
			in->grace = 1;
		else if (!in->grace) {
			tls_unwatch(in);
			continue;
		} else
			in->grace = 0;
		owed = 1;
	}
	return owed;
}

/* Marks the handshake done when the client's Finished has come. */
static int
tls_hook(gnutls_session_t session, unsigned htype, unsigned when,
    unsigned incoming, const gnutls_datum_t *msg)
{
	int *done = gnutls_db_get_ptr(session);

	if (done != NULL && incoming && htype == GNUTLS_HANDSHAKE_FINISHED)
		*done = 1;
	return 0;
}

int
tls_session_start(void *session, int *done, struct tls_in *in)
{
	if (in != NULL && in->fd >= 0) {
		in->session = session;
		gnutls_transport_set_ptr(session, in);
		gnutls_transport_set_pull_function(session, tls_pull);
		gnutls_transport_set_pull_timeout_function(session,
		    tls_pull_timeout);
		gnutls_transport_set_vec_push_function(session, tls_push);
	}
	/* The session cache's pointer is free: webd uses tickets, which
	 * need no cache. */
	gnutls_db_set_ptr(session, done);
	gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_FINISHED,
	    GNUTLS_HOOK_POST, tls_hook);
	return gnutls_session_ticket_enable_server(session,
	    &tls_ticket_key) < 0 ? -1 : 0;
}
