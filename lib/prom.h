/* prom.h - the Prometheus text exposition format 0.0.4: a writer that
 * builds a scrape into a buffer (families with their HELP and TYPE lines,
 * samples with escaped label values, histograms), the request line of a
 * scrape as a small listener reads it, and the atomic write of a textfile
 * for node-exporter's textfile collector.
 *
 *	struct prom p;
 *	prom_init(&p);
 *	prom_family(&p, "foobar_x_total", "counter", "Things done.");
 *	prom_sample(&p, "foobar_x_total", 12, "code_class", "2xx", PROM_END);
 *	... p.buf holds p.len bytes unless p.failed; prom_free(&p)
 *
 * Everything but prom_file_write() is pure: no I/O, no logging. */
#ifndef FOOBAR_PROM_H
#define FOOBAR_PROM_H

#include <stddef.h>
#include <stdint.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The request duration buckets (seconds) every foobar histogram uses,
 * from 0.5 ms to 10 s. */
#define PROM_NBUCKETS 14
extern const double prom_buckets[PROM_NBUCKETS];

/* A histogram being counted: per-bucket (not cumulative) counts, the last
 * one above every bound, and the sum in microseconds. */
struct prom_hist {
	uint64_t bucket[PROM_NBUCKETS + 1];
	uint64_t sum_us;
};

/* The bucket index (0 .. PROM_NBUCKETS) for a duration in microseconds. */
unsigned prom_bucket(uint64_t usec);

struct prom {
	char *buf;
	size_t len, cap;
	int failed;		/* out of memory: buf is incomplete */
};

void prom_init(struct prom *p);
void prom_free(struct prom *p);

/* "# HELP name help" and "# TYPE name type"; type is "counter", "gauge"
 * or "histogram". */
void prom_family(struct prom *p, const char *name, const char *type,
    const char *help);

/* The end of prom_sample()'s labels: a null pointer of the right type. */
#define PROM_END ((const char *)NULL)

/* One sample with an exact integer value, then label name/value pairs
 * (values escaped) ending with PROM_END. */
void prom_sample(struct prom *p, const char *name, unsigned long long value,
    ...) __attribute__((sentinel));

/* The same with a double value (NaN and infinities spelled as Go does). */
void prom_sample_double(struct prom *p, const char *name, double value,
    const char *label, const char *lvalue);

/* The _bucket, _sum (seconds) and _count lines of histogram name from h
 * (one optional label, NULL for none). */
void prom_histogram(struct prom *p, const char *name,
    const struct prom_hist *h, const char *label, const char *lvalue);

/* Adds b's counts to a, reading b with relaxed atomic loads (its one
 * writer may be counting). */
void prom_hist_add(struct prom_hist *a, const struct prom_hist *b);

/* Reads an HTTP request head (len bytes) as a scrape listener does.
 * Returns 0 while the head is incomplete, 1 when complete with the path
 * (without the query) in path and *head set for a HEAD request, -1 when
 * malformed or too long for pathlen. */
int prom_http_request(const char *buf, size_t len, char *path,
    size_t pathlen, int *head);

/* Writes text atomically to path (a temporary file in the same folder,
 * fsync'd, renamed over it), mode 0644. Returns 0; 1, writing nothing,
 * when the folder does not exist (node-exporter is not installed); or -1
 * with a message in err. */
int prom_file_write(const char *path, const char *text, size_t len,
    char *err, size_t errlen);

#endif
