/* file.c - backup files: zstd data, then the manifest frame. Written
 * under a temporary name in the same folder, fsync'd, renamed (never over
 * another file), the folder fsync'd: a crash or a full disk leaves no
 * file that looks like a backup, and the older backups as they were. */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "log.h"

#define BUFSZ (128 * 1024)

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
bkw_open(struct bk_writer *w, const char *dir, const char *name, int level)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (asprintf(&w->path, "%s/%s", dir, name) == -1 ||
	    asprintf(&w->tmp, "%s/.%s.tmp.%ld", dir, name,
	    (long)getpid()) == -1) {
		w->tmp = NULL;
		log_err("out of memory");
		return -1;
	}
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd == -1) {
		log_err("create %s: %s", w->tmp, strerror(errno));
		free(w->tmp);
		w->tmp = NULL;
		return -1;
	}
	w->outcap = ZSTD_CStreamOutSize();
	if ((w->zc = ZSTD_createCCtx()) == NULL ||
	    (w->out = malloc(w->outcap)) == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel,
	    level)) || ZSTD_isError(ZSTD_CCtx_setParameter(w->zc,
	    ZSTD_c_checksumFlag, 1))) {
		log_err("zstd: cannot set up the compressor");
		return -1;
	}
	sha256_init(&w->sha);
	return 0;
}

/* Writes what the compressor produced. 0 or -1 (logged). */
static int
bkw_out(struct bk_writer *w, size_t n)
{
	if (n == 0)
		return 0;
	if (write_all(w->fd, w->out, n) == -1) {
		log_err("write %s: %s", w->tmp, strerror(errno));
		return -1;
	}
	sha256_update(&w->sha, w->out, n);
	w->size += n;
	return 0;
}

static int
bkw_stream(struct bk_writer *w, const void *buf, size_t len,
    ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out = { w->out, w->outcap, 0 };

		left = ZSTD_compressStream2(w->zc, &out, &in, end);
		if (ZSTD_isError(left)) {
			log_err("zstd: %s", ZSTD_getErrorName(left));
			return -1;
		}
		if (bkw_out(w, out.pos) == -1)
			return -1;
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

int
bkw_write(struct bk_writer *w, const void *buf, size_t len)
{
	return bkw_stream(w, buf, len, ZSTD_e_continue);
}

static int
bkw_sync_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int fd, rc = -1;

	if (dir == NULL)
		return -1;
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(dir);
	return rc;
}

int
bkw_finish(struct bk_writer *w, struct manifest *m)
{
	unsigned char md[32], *frame = NULL;
	size_t flen, i;

	if (bkw_stream(w, NULL, 0, ZSTD_e_end) == -1)
		goto fail;
	sha256_final(&w->sha, md);
	for (i = 0; i < 32; i++)
		snprintf(m->data_sha256 + 2 * i, 3, "%02x", md[i]);
	m->data_size = w->size;
	if (manifest_encode(m, &frame, &flen) == -1) {
		log_err("manifest: out of memory");
		goto fail;
	}
	if (write_all(w->fd, frame, flen) == -1 || fsync(w->fd) == -1) {
		log_err("write %s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	if (close(w->fd) == -1) {
		w->fd = -1;
		log_err("close %s: %s", w->tmp, strerror(errno));
		goto fail;
	}
	w->fd = -1;
	if (renameat2(AT_FDCWD, w->tmp, AT_FDCWD, w->path,
	    RENAME_NOREPLACE) == -1) {
		log_err("rename %s to %s: %s", w->tmp, w->path,
		    strerror(errno));
		goto fail;
	}
	free(w->tmp);
	w->tmp = NULL;
	if (bkw_sync_dir(w->path) == -1)
		log_warn("fsync of the folder of %s: %s", w->path,
		    strerror(errno));
	free(frame);
	return 0;
fail:
	free(frame);
	return -1;
}

void
bkw_abort(struct bk_writer *w)
{
	if (w->fd != -1)
		close(w->fd);
	if (w->tmp != NULL && unlink(w->tmp) == -1 && errno != ENOENT)
		log_warn("remove %s: %s", w->tmp, strerror(errno));
	ZSTD_freeCCtx(w->zc);
	free(w->out);
	free(w->tmp);
	free(w->path);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

static int
pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = pread(fd, p, len, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int
bkf_read_manifest(struct bk_file *f, char *err, size_t errlen)
{
	unsigned char tail[MANIFEST_TAIL], *frame;
	uint64_t off;
	size_t len;
	int rc;

	if (f->size < MANIFEST_TAIL) {
		snprintf(err, errlen, "%s: too short to be a backup (%" PRIu64
		    " bytes): truncated?", f->path, f->size);
		return -1;
	}
	if (pread_all(f->fd, tail, sizeof(tail), f->size - sizeof(tail)) ==
	    -1) {
		snprintf(err, errlen, "read %s: %s", f->path, strerror(errno));
		return -1;
	}
	if (manifest_locate(tail, f->size, &off, &len, err, errlen) == -1)
		return -1;
	if ((frame = malloc(len)) == NULL ||
	    pread_all(f->fd, frame, len, off) == -1) {
		free(frame);
		snprintf(err, errlen, "read %s: %s", f->path, strerror(errno));
		return -1;
	}
	rc = manifest_decode(frame, len, &f->m, err, errlen);
	free(frame);
	if (rc == 0 && f->m.data_size != off) {
		snprintf(err, errlen, "the manifest says %" PRIu64 " bytes of "
		    "data, the file has %" PRIu64 ": truncated or damaged",
		    f->m.data_size, off);
		manifest_free(&f->m);
		rc = -1;
	}
	return rc;
}

int
bkf_open(struct bk_file *f, const char *path, char *err, size_t errlen)
{
	char merr[256];
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd == -1 || fstat(f->fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (f->fd != -1)
			close(f->fd);
		f->fd = -1;
		return -1;
	}
	f->size = (uint64_t)st.st_size;
	if ((f->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		bkf_close(f);
		return -1;
	}
	if (bkf_read_manifest(f, merr, sizeof(merr)) == -1) {
		snprintf(err, errlen, "%s: %s", path, merr);
		bkf_close(f);
		return -1;
	}
	return 0;
}

int
bkf_check(struct bk_file *f, char *err, size_t errlen)
{
	unsigned char *buf, md[32];
	char hex[65];
	struct sha256 sha;
	uint64_t off = 0;
	size_t n, i;

	if ((buf = malloc(BUFSZ)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sha256_init(&sha);
	while (off < f->m.data_size) {
		n = f->m.data_size - off < BUFSZ ? f->m.data_size - off : BUFSZ;
		if (pread_all(f->fd, buf, n, off) == -1) {
			snprintf(err, errlen, "read %s: %s", f->path,
			    strerror(errno));
			free(buf);
			return -1;
		}
		sha256_update(&sha, buf, n);
		off += n;
	}
	free(buf);
	sha256_final(&sha, md);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, f->m.data_sha256) != 0) {
		snprintf(err, errlen, "%s: checksum mismatch (sha256 %s, the "
		    "manifest says %s): the file is damaged", f->path, hex,
		    f->m.data_sha256);
		return -1;
	}
	return 0;
}

/* Decompresses one buffer of input into fd. 0 or -1. */
static int
bkf_inflate(ZSTD_DCtx *dc, ZSTD_inBuffer *in, void *obuf, size_t ocap,
    int fd, size_t *left, char *err, size_t errlen)
{
	while (in->pos < in->size) {
		ZSTD_outBuffer out = { obuf, ocap, 0 };

		*left = ZSTD_decompressStream(dc, &out, in);
		if (ZSTD_isError(*left)) {
			snprintf(err, errlen, "zstd: %s",
			    ZSTD_getErrorName(*left));
			return -1;
		}
		if (write_all(fd, obuf, out.pos) == -1) {
			snprintf(err, errlen, "write to the client: %s",
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
bkf_decompress(struct bk_file *f, int fd, char *err, size_t errlen)
{
	size_t ocap = ZSTD_DStreamOutSize(), n, left = 1;
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	char *ibuf = malloc(BUFSZ), *obuf = malloc(ocap);
	uint64_t off = 0;
	int rc = -1;

	if (dc == NULL || ibuf == NULL || obuf == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (off < f->m.data_size) {
		ZSTD_inBuffer in;

		n = f->m.data_size - off < BUFSZ ? f->m.data_size - off : BUFSZ;
		if (pread_all(f->fd, ibuf, n, off) == -1) {
			snprintf(err, errlen, "read %s: %s", f->path,
			    strerror(errno));
			goto out;
		}
		off += n;
		in.src = ibuf;
		in.size = n;
		in.pos = 0;
		if (bkf_inflate(dc, &in, obuf, ocap, fd, &left, err,
		    errlen) == -1)
			goto out;
	}
	if (left != 0) {
		snprintf(err, errlen, "zstd: the data ends inside a frame");
		goto out;
	}
	rc = 0;
out:
	ZSTD_freeDCtx(dc);
	free(ibuf);
	free(obuf);
	return rc;
}

void
bkf_close(struct bk_file *f)
{
	if (f->fd != -1)
		close(f->fd);
	manifest_free(&f->m);
	free(f->path);
	f->path = NULL;
	f->fd = -1;
}
