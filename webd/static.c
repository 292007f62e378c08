/* static.c - answers from the files under root (and acme_root): the
 * index of a directory, the .gz variant, conditional and Range requests,
 * the cache of small files, file responses over TLS in full records. */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What is sent for a file. */
struct http_file {
	const char *type;
	char etag[64];
	time_t mtime;
	long long size;
	int gz;
	int vary;
};

static void
http_file_headers(struct MHD_Response *resp, const struct http_file *f)
{
	char date[32];

	cond_date_format(date, sizeof(date), f->mtime);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, f->etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
	if (f->vary)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY,
		    "Accept-Encoding");
}

/* Headers of a response with the file's content (200 or 206). */
static void
http_content_headers(struct MHD_Response *resp, const struct http_file *f)
{
	http_file_headers(resp, f);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, f->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (f->gz)
		MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
}

/* 304/412 answers, or 0 to go on. */
static enum MHD_Result
http_conditional(struct server *s, struct MHD_Connection *c, struct req *r,
    const struct http_file *f, int *done)
{
	struct cond_req cr;
	struct MHD_Response *resp;
	int v;

	*done = 0;
	cr.if_match = http_header(c, MHD_HTTP_HEADER_IF_MATCH);
	cr.if_none_match = http_header(c, MHD_HTTP_HEADER_IF_NONE_MATCH);
	cr.if_modified_since = http_header(c,
	    MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
	cr.if_unmodified_since = http_header(c,
	    MHD_HTTP_HEADER_IF_UNMODIFIED_SINCE);
	if (cr.if_match == NULL && cr.if_none_match == NULL &&
	    cr.if_modified_since == NULL && cr.if_unmodified_since == NULL)
		return MHD_YES;
	cr.get_or_head = 1;
	v = cond_evaluate(&cr, f->etag, f->mtime);
	if (v == COND_PROCEED)
		return MHD_YES;
	*done = 1;
	if (v == COND_FAILED)
		return http_error(s, c, r, 412, 0);
	resp = MHD_create_response_from_buffer(0, NULL,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	http_file_headers(resp, f);
	return http_queue(s, c, r, 304, resp, 0, 1);
}

/* libmicrohttpd reads a file response 4 KiB at a time where it cannot
 * use sendfile(2), as over TLS: a pread, a 4 KiB record and a send for
 * every 4 KiB. Over TLS webd reads for it in blocks of a full record. */
#define HTTP_TLS_FILE_BLOCK (16 * 1024)

/* A file being sent over TLS: the fd and where the answer starts. */
struct http_tls_file {
	int fd;
	uint64_t off;
};

static ssize_t
http_tls_file_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct http_tls_file *tf = cls;
	ssize_t n = pread(tf->fd, buf, max, (off_t)(tf->off + pos));

	http_moved();
	/* a file that shrank under us ends the connection, as MHD's own */
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void
http_tls_file_free(void *cls)
{
	struct http_tls_file *tf = cls;

	close(tf->fd);
	free(tf);
}

/* A response of len bytes of fd from off (sendfile on plain HTTP, blocks
 * of HTTP_TLS_FILE_BLOCK over TLS, r->pushed), which takes fd over;
 * NULL, fd still the caller's, when out of memory. */
static struct MHD_Response *
http_file_response(struct req *r, int fd, uint64_t off, uint64_t len)
{
	struct http_tls_file *tf;
	struct MHD_Response *resp;

	if (r->conn == NULL || !r->conn->tls)
		return MHD_create_response_from_fd_at_offset64(len, fd, off);
	if ((tf = malloc(sizeof(*tf))) == NULL)
		return NULL;
	tf->fd = fd;
	tf->off = off;
	resp = MHD_create_response_from_callback(len, HTTP_TLS_FILE_BLOCK,
	    http_tls_file_read, tf, http_tls_file_free);
	if (resp == NULL)
		free(tf);
	else
		r->pushed = 1;
	return resp;
}

/* Answers for a file whose content is in data (cached, shared response
 * full, a callback one when r->pushed is set) or behind fd (which this
 * takes over). */
static enum MHD_Result
http_answer(struct server *s, struct MHD_Connection *c, struct req *r,
    const struct http_file *f, struct MHD_Response *full,
    const unsigned char *data, int fd)
{
	struct MHD_Response *resp;
	const char *range;
	long long first, last;
	enum MHD_Result rc;
	char cr[96];
	int done, v, full_pushed = r->pushed;

	r->pushed = 0;
	rc = http_conditional(s, c, r, f, &done);
	if (done || rc == MHD_NO)
		goto out;
	range = strcmp(r->method, "GET") == 0 ?
	    http_header(c, MHD_HTTP_HEADER_RANGE) : NULL;
	if (range != NULL && cond_range_applies(http_header(c,
	    MHD_HTTP_HEADER_IF_RANGE), f->etag, f->mtime)) {
		v = range_parse(range, strlen(range), f->size, &first, &last);
		if (v == RANGE_UNSATISFIABLE) {
			resp = MHD_create_response_from_buffer(0, NULL,
			    MHD_RESPMEM_PERSISTENT);
			if (resp == NULL)
				goto fail;
			snprintf(cr, sizeof(cr), "bytes */%lld", f->size);
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_CONTENT_RANGE, cr);
			rc = http_queue(s, c, r, 416, resp, 0, 1);
			goto out;
		}
		if (v == RANGE_OK) {
			size_t len = (size_t)(last - first + 1);

			if (data != NULL)
				resp = MHD_create_response_from_buffer(len,
				    (void *)(uintptr_t)(data + first),
				    MHD_RESPMEM_MUST_COPY);
			else
				resp = http_file_response(r, fd,
				    (uint64_t)first, len);
			if (resp == NULL)
				goto fail;
			fd = -1;
			http_content_headers(resp, f);
			snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", first,
			    last, f->size);
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_CONTENT_RANGE, cr);
			rc = http_queue(s, c, r, 206, resp, len, 1);
			goto out;
		}
	}
	if (full != NULL) {
		r->pushed = full_pushed;
		rc = http_queue(s, c, r, 200, full, (unsigned long long)f->size,
		    0);
		goto out;
	}
	resp = http_file_response(r, fd, 0, (uint64_t)f->size);
	if (resp == NULL)
		goto fail;
	fd = -1;
	http_content_headers(resp, f);
	rc = http_queue(s, c, r, 200, resp, (unsigned long long)f->size, 1);
out:
	if (fd >= 0)
		close(fd);
	return rc;
fail:
	rc = http_error(s, c, r, 500, 0);
	goto out;
}

void
static_resp_free(void *p)
{
	MHD_destroy_response(p);
}

/* The cache's key for the file path: https answers with
 * Strict-Transport-Security are cached apart (\1 starts no path). */
static void
http_cache_key(const struct server *s, const struct req *r, char *key,
    size_t size, const char *path)
{
	snprintf(key, size, "%s%s", s->hsts[0] != '\0' && r->conn != NULL &&
	    r->conn->tls ? "\1" : "", path);
}

/* A cached file's bytes, shared by its responses. */
struct http_blob {
	unsigned refs;		/* atomic */
	size_t size;
	unsigned char data[];
};

static void
http_blob_unref(void *p)
{
	struct http_blob *b = p;

	if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(b);
}

static ssize_t
http_blob_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct http_blob *b = cls;
	size_t n;

	if (pos >= b->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = b->size - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, b->data + pos, n);
	return (ssize_t)n;
}

/* The responses of a cached file, with its headers: *tls is for HTTPS
 * when the body is small enough to be held (http_cork()), else NULL.
 * libmicrohttpd 0.9.75 corks the socket for an answer under 1,400 bytes
 * whose body is in memory and then pushes it with a TCP_NODELAY
 * setsockopt, on every answer; an answer whose body a callback gives it
 * is pushed as it goes, which costs no system call once TCP_NODELAY is
 * on. Over TLS that is the one webd wants: GnuTLS holds the answer until
 * it is complete anyway. 0, or -1 (b freed) when out of memory. */
static int
http_blob_responses(struct server *s, const struct req *r,
    const struct http_file *f, struct http_blob *b,
    struct MHD_Response **plain, struct MHD_Response **tls)
{
	b->refs = 1;
	*tls = NULL;
	*plain = MHD_create_response_from_buffer_with_free_callback_cls(
	    b->size, b->data, http_blob_unref, b);
	if (*plain == NULL) {
		free(b);
		return -1;
	}
	http_content_headers(*plain, f);
	http_hsts(s, r, *plain);
	if (b->size == 0 || b->size > HTTP_CORK_MAX)
		return 0;
	b->refs++;
	*tls = MHD_create_response_from_callback(b->size, b->size,
	    http_blob_read, b, http_blob_unref);
	if (*tls == NULL) {
		b->refs--;
		return 0;
	}
	http_content_headers(*tls, f);
	http_hsts(s, r, *tls);
	return 0;
}

/* Of a cached file's responses, the one for r's connection (setting
 * r->pushed for the callback one, http_answer()). */
static struct MHD_Response *
http_blob_pick(struct req *r, void *plain, void *tls)
{
	r->pushed = tls != NULL && r->conn != NULL && r->conn->tls;
	return r->pushed ? tls : plain;
}

/* Reads a small file whole; the response made from it is queued and, when
 * the cache takes it, kept for the next requests. */
static enum MHD_Result
http_answer_cacheable(struct server *s, struct MHD_Connection *c,
    struct req *r, const struct http_file *f, const char *key,
    const struct stat *st, int fd)
{
	struct cache_entry *e;
	struct MHD_Response *resp, *resp_tls;
	struct http_blob *b;
	size_t got = 0;
	enum MHD_Result rc;

	b = malloc(sizeof(*b) + (size_t)f->size + 1);
	if (b == NULL)
		return http_answer(s, c, r, f, NULL, NULL, fd);
	b->size = (size_t)f->size;
	while (got < b->size) {
		ssize_t n = pread(fd, b->data + got, b->size - got,
		    (off_t)got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != b->size) {	/* changed under us */
		free(b);
		return http_answer(s, c, r, f, NULL, NULL, fd);
	}
	close(fd);
	if (http_blob_responses(s, r, f, b, &resp, &resp_tls) == -1)
		return http_error(s, c, r, 500, 0);
	e = calloc(1, sizeof(*e));
	if (e == NULL || (e->key = strdup(key)) == NULL) {
		free(e);
		rc = http_answer(s, c, r, f, http_blob_pick(r, resp,
		    resp_tls), b->data, -1);
		if (resp_tls != NULL)
			MHD_destroy_response(resp_tls);
		MHD_destroy_response(resp);
		return rc;
	}
	e->gz = f->gz;
	e->vary = f->vary;
	e->checked = http_now_ms();
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->ctime = st->st_ctim;
	snprintf(e->etag, sizeof(e->etag), "%s", f->etag);
	e->data = b->data;
	e->resp = resp;
	e->resp_tls = resp_tls;
	rc = http_answer(s, c, r, f, http_blob_pick(r, resp, resp_tls),
	    b->data, -1);
	cache_insert(s->cache, e);	/* takes our references */
	return rc;
}

/* Answers from the cache entry e (read lock held), f giving the type and
 * variant. */
static enum MHD_Result
http_answer_entry(struct server *s, struct MHD_Connection *c, struct req *r,
    struct http_file *f, const struct cache_entry *e)
{
	snprintf(f->etag, sizeof(f->etag), "%s", e->etag);
	f->mtime = e->mtime.tv_sec;
	f->size = e->size;
	return http_answer(s, c, r, f, http_blob_pick(r, e->resp,
	    e->resp_tls), e->data, -1);
}

/* With cache_valid: answers for the file rel (not a directory) from the
 * cache, without a look at the disk, when the variant the client takes
 * was found unchanged there less than cache_valid ago. 1 when answered
 * (*rc set), 0 when the disk must be asked. */
static int
http_static_fresh(struct server *s, struct MHD_Connection *c, struct req *r,
    const char *rel, const char *key, enum MHD_Result *rc)
{
	const struct cache_entry *e = NULL;
	long long now = http_now_ms();
	struct http_file f;
	int gzok;

	gzok = s->cf->gzip_static && file_accepts_gzip(http_header(c,
	    MHD_HTTP_HEADER_ACCEPT_ENCODING));
	cache_rdlock(s->cache);
	if (gzok)
		e = cache_find_fresh(s->cache, key, 1, now, s->cf->cache_valid);
	if (e == NULL) {
		e = cache_find_fresh(s->cache, key, 0, now, s->cf->cache_valid);
		/* the file has a .gz beside it, whose entry is not fresh */
		if (e != NULL && gzok && e->vary)
			e = NULL;
	}
	if (e == NULL) {
		cache_unlock(s->cache);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.type = mime_type(rel);
	f.gz = e->gz;
	f.vary = e->vary;
	*rc = http_answer_entry(s, c, r, &f, e);
	cache_unlock(s->cache);
	return 1;
}

/* The file to send for rel: the index of a directory, the .gz variant. */
enum MHD_Result
static_serve(struct server *s, struct MHD_Connection *c, struct req *r,
    const char *rel, int dir)
{
	char path[WEBD_PATH_MAX + 32], gzpath[WEBD_PATH_MAX + 40];
	char key[WEBD_PATH_MAX + 40];
	struct http_file f;
	struct stat st, gst;
	const char *send;
	int fd, status, cacheable;
	int rootfd = r->acme ? s->acmefd : s->rootfd;
	const char *rootpath = r->acme ? s->acmepath : s->rootpath;

	if (rootfd == -1)
		return http_error(s, c, r, 404, 0);
	cacheable = s->cache != NULL && !r->chunked && !r->acme &&
	    !__atomic_load_n(&s->draining, __ATOMIC_RELAXED);
	if (cacheable && s->cf->cache_valid > 0 && !dir && rel[0] != '\0') {
		enum MHD_Result rc;

		http_cache_key(s, r, key, sizeof(key), rel);
		if (http_static_fresh(s, c, r, rel, key, &rc))
			return rc;
	}

	if (fstatat(rootfd, rel[0] ? rel : ".", &st, 0) == -1)
		return http_error(s, c, r, errno == EACCES ? 403 : 404, 0);
	if (S_ISDIR(st.st_mode)) {
		if (!dir) {
			struct MHD_Response *resp;
			const char *q = strchr(r->uri, '?');
			char loc[WEBD_PATH_MAX * 3 + 64];
			size_t n;

			loc[0] = '/';
			n = 1 + path_encode(loc + 1, sizeof(loc) - 2, rel);
			if (n > 1)
				loc[n++] = '/';
			loc[n] = '\0';
			if (q != NULL && strlen(q) + n < sizeof(loc) &&
			    strpbrk(q, "\r\n\t ") == NULL)
				snprintf(loc + n, sizeof(loc) - n, "%s", q);
			resp = MHD_create_response_from_buffer(0, NULL,
			    MHD_RESPMEM_PERSISTENT);
			if (resp == NULL)
				return MHD_NO;
			MHD_add_response_header(resp,
			    MHD_HTTP_HEADER_LOCATION, loc);
			return http_queue(s, c, r, 301, resp, 0, 1);
		}
		snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "",
		    s->cf->index);
		if (fstatat(rootfd, path, &st, 0) == -1)
			return http_error(s, c, r, 404, 0);
	} else {
		if (dir)
			return http_error(s, c, r, 404, 0);
		snprintf(path, sizeof(path), "%s", rel);
	}
	if (!S_ISREG(st.st_mode))
		return http_error(s, c, r, 404, 0);
	memset(&f, 0, sizeof(f));
	f.type = mime_type(path);
	send = path;
	if (s->cf->gzip_static) {
		snprintf(gzpath, sizeof(gzpath), "%s.gz", path);
		if (file_accepts_gzip(http_header(c,
		    MHD_HTTP_HEADER_ACCEPT_ENCODING)) &&
		    fstatat(rootfd, gzpath, &gst, 0) == 0 &&
		    S_ISREG(gst.st_mode)) {
			f.gz = 1;
			f.vary = 1;
			st = gst;
			send = gzpath;
		}
	}
	cacheable = cacheable && st.st_size <= s->cf->cache_max_file;
	http_cache_key(s, r, key, sizeof(key), path);
	if (cacheable) {
		const struct cache_entry *e;

		cache_rdlock(s->cache);
		e = cache_find(s->cache, key, f.gz, &st);
		if (e != NULL) {
			enum MHD_Result rc;

			if (s->cf->cache_valid > 0)
				cache_checked(e, http_now_ms());
			rc = http_answer_entry(s, c, r, &f, e);
			cache_unlock(s->cache);
			return rc;
		}
		cache_unlock(s->cache);
	}
	fd = file_open(rootfd, rootpath, send, &status);
	if (fd == -1)
		return http_error(s, c, r, (unsigned)status, 0);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return http_error(s, c, r, 404, 0);
	}
	if (!f.gz && s->cf->gzip_static &&
	    fstatat(rootfd, gzpath, &gst, 0) == 0 && S_ISREG(gst.st_mode))
		f.vary = 1;
	file_etag(f.etag, sizeof(f.etag), &st);
	f.mtime = st.st_mtim.tv_sec;
	f.size = st.st_size;
	if (cacheable && st.st_size <= s->cf->cache_max_file)
		return http_answer_cacheable(s, c, r, &f, key, &st, fd);
	return http_answer(s, c, r, &f, NULL, NULL, fd);
}
