/* prom.c - the Prometheus text format 0.0.4 writer, the scrape request
 * reader and the textfile writer. */
#include "prom.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const double prom_buckets[PROM_NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10
};

/* The bounds in microseconds, for prom_bucket(). */
static const uint64_t prom_bounds_us[PROM_NBUCKETS] = {
	500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};

unsigned
prom_bucket(uint64_t usec)
{
	unsigned i;

	for (i = 0; i < PROM_NBUCKETS; i++)
		if (usec <= prom_bounds_us[i])
			return i;
	return PROM_NBUCKETS;
}

void
prom_init(struct prom *p)
{
	memset(p, 0, sizeof(*p));
}

void
prom_free(struct prom *p)
{
	free(p->buf);
	prom_init(p);
}

static int
prom_reserve(struct prom *p, size_t n)
{
	size_t cap;
	char *nb;

	if (p->failed)
		return -1;
	if (p->len + n + 1 <= p->cap)
		return 0;
	cap = p->cap ? p->cap : 4096;
	while (cap < p->len + n + 1)
		cap *= 2;
	if ((nb = realloc(p->buf, cap)) == NULL) {
		p->failed = 1;
		return -1;
	}
	p->buf = nb;
	p->cap = cap;
	return 0;
}

static void
prom_put(struct prom *p, const char *s, size_t n)
{
	if (prom_reserve(p, n) == -1)
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void
prom_puts(struct prom *p, const char *s)
{
	prom_put(p, s, strlen(s));
}

/* s with '\\' and '\n' escaped, and '"' too when quote is set. */
static void
prom_escaped(struct prom *p, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			prom_puts(p, "\\\\");
		else if (*s == '\n')
			prom_puts(p, "\\n");
		else if (*s == '"' && quote)
			prom_puts(p, "\\\"");
		else
			prom_put(p, s, 1);
	}
}

void
prom_family(struct prom *p, const char *name, const char *type,
    const char *help)
{
	prom_puts(p, "# HELP ");
	prom_puts(p, name);
	prom_puts(p, " ");
	prom_escaped(p, help, 0);
	prom_puts(p, "\n# TYPE ");
	prom_puts(p, name);
	prom_puts(p, " ");
	prom_puts(p, type);
	prom_puts(p, "\n");
}

static void
prom_label(struct prom *p, int first, const char *name, const char *value)
{
	prom_puts(p, first ? "{" : ",");
	prom_puts(p, name);
	prom_puts(p, "=\"");
	prom_escaped(p, value, 1);
	prom_puts(p, "\"");
}

void
prom_sample(struct prom *p, const char *name, unsigned long long value, ...)
{
	const char *l, *v;
	char num[32];
	int n = 0;
	va_list ap;

	prom_puts(p, name);
	va_start(ap, value);
	while ((l = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		prom_label(p, n++ == 0, l, v != NULL ? v : "");
	}
	va_end(ap);
	if (n > 0)
		prom_puts(p, "}");
	snprintf(num, sizeof(num), " %llu\n", value);
	prom_puts(p, num);
}

/* The shortest of %.15g .. %.17g that reads back as v; Go's spellings of
 * NaN and the infinities. */
static void
prom_double(char *buf, size_t len, double v)
{
	int prec;

	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

void
prom_sample_double(struct prom *p, const char *name, double value,
    const char *label, const char *lvalue)
{
	char num[40];

	prom_puts(p, name);
	if (label != NULL) {
		prom_label(p, 1, label, lvalue);
		prom_puts(p, "}");
	}
	prom_double(num, sizeof(num), value);
	prom_puts(p, " ");
	prom_puts(p, num);
	prom_puts(p, "\n");
}

void
prom_histogram(struct prom *p, const char *name, const struct prom_hist *h,
    const char *label, const char *lvalue)
{
	char line[256], le[40];
	unsigned long long cum = 0;
	unsigned i;

	for (i = 0; i <= PROM_NBUCKETS; i++) {
		cum += h->bucket[i];
		if (i < PROM_NBUCKETS)
			prom_double(le, sizeof(le), prom_buckets[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		snprintf(line, sizeof(line), "%s_bucket", name);
		prom_puts(p, line);
		if (label != NULL)
			prom_label(p, 1, label, lvalue);
		prom_label(p, label == NULL, "le", le);
		snprintf(line, sizeof(line), "} %llu\n", cum);
		prom_puts(p, line);
	}
	snprintf(line, sizeof(line), "%s_sum", name);
	prom_sample_double(p, line, (double)h->sum_us / 1e6, label, lvalue);
	snprintf(line, sizeof(line), "%s_count", name);
	if (label != NULL)
		prom_sample(p, line, cum, label, lvalue, PROM_END);
	else
		prom_sample(p, line, cum, PROM_END);
}

void
prom_hist_add(struct prom_hist *a, const struct prom_hist *b)
{
	unsigned i;

	for (i = 0; i <= PROM_NBUCKETS; i++)
		a->bucket[i] += __atomic_load_n(&b->bucket[i],
		    __ATOMIC_RELAXED);
	a->sum_us += __atomic_load_n(&b->sum_us, __ATOMIC_RELAXED);
}

/* The request line "METHOD SP target SP HTTP/1.x", then header lines up
 * to an empty one; only GET and HEAD are taken. */
int
prom_http_request(const char *buf, size_t len, char *path, size_t pathlen,
    int *head)
{
	const char *end = NULL, *sp, *t, *te, *eol;
	size_t i, n;

	for (i = 0; i + 1 < len; i++)
		if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
		    (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n'))) {
			end = buf + i;
			break;
		}
	if (end == NULL)
		return memchr(buf, '\0', len) != NULL ? -1 : 0;
	if (memchr(buf, '\0', (size_t)(end - buf)) != NULL)
		return -1;
	eol = memchr(buf, '\n', (size_t)(end - buf) + 1);
	if (eol > buf && eol[-1] == '\r')
		eol--;
	sp = memchr(buf, ' ', (size_t)(eol - buf));
	if (sp == NULL)
		return -1;
	if ((size_t)(sp - buf) == 3 && memcmp(buf, "GET", 3) == 0)
		*head = 0;
	else if ((size_t)(sp - buf) == 4 && memcmp(buf, "HEAD", 4) == 0)
		*head = 1;
	else
		return -1;
	t = sp + 1;
	te = memchr(t, ' ', (size_t)(eol - t));
	if (te == NULL || te == t || *t != '/' ||
	    (size_t)(eol - te) != 9 || memcmp(te + 1, "HTTP/1.", 7) != 0 ||
	    (te[8] != '0' && te[8] != '1'))
		return -1;
	for (n = 0; t + n < te && t[n] != '?'; n++)
		if ((unsigned char)t[n] <= ' ' || t[n] == 0x7f)
			return -1;
	if (n >= pathlen)
		return -1;
	memcpy(path, t, n);
	path[n] = '\0';
	return 1;
}

int
prom_file_write(const char *path, const char *text, size_t len, char *err,
    size_t errlen)
{
	char tmp[4096];
	size_t off = 0;
	ssize_t w;
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 && errno == ENOENT)
		return 1;	/* no folder: no node-exporter to feed */
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fchmod(fd, 0644);
	while (off < len) {
		w = write(fd, text + off, len - off);
		if (w <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", tmp, strerror(errno ? errno : EIO));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}
