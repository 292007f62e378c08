/* body.c - a request body held whole before it is forwarded: in memory up
 * to a size, then in an unlinked temporary file (as nginx's
 * client_body_buffer_size and client_body_temp_path), and the deadline by
 * which the rest of it must have come. */
#include "webd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct body {
	unsigned char *mem;	/* the bytes after the file's */
	size_t len, cap, max;
	int fd;			/* -1 until the body outgrows max */
	long long flen;		/* bytes in the file */
	const char *dir;
};

long long
body_deadline(long long start, long long bytes, long long timeout,
    long long min_rate, long long grace)
{
	long long dl = start + timeout;

	if (min_rate > 0 && bytes < (timeout / 1000 + 1) * min_rate) {
		long long r = start + grace + bytes * 1000 / min_rate;

		if (r < dl)
			dl = r;
	}
	return dl;
}

struct body *
body_new(size_t max, const char *dir)
{
	struct body *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->fd = -1;
	b->max = max > 0 ? max : 1;
	b->dir = dir;
	return b;
}

void
body_free(struct body *b)
{
	if (b == NULL)
		return;
	if (b->fd != -1)
		close(b->fd);
	free(b->mem);
	free(b);
}

long long
body_size(const struct body *b)
{
	return b->flen + (long long)b->len;
}

int
body_in_file(const struct body *b)
{
	return b->fd != -1;
}

/* An unlinked file in dir: O_TMPFILE, or mkstemp() and unlink() where the
 * file system has no O_TMPFILE. */
static int
body_tmpfile(const char *dir)
{
	char path[WEBD_PATH_MAX];
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd != -1 ||
	    (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
	if ((size_t)snprintf(path, sizeof(path), "%s/webd-body.XXXXXX", dir) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
		unlink(path);
	return fd;
}

static int
body_write(struct body *b, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t n = write(b->fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		b->flen += n;
	}
	return 0;
}

/* Moves the memory part to the file (opened on first use). */
static int
body_spill(struct body *b)
{
	if (b->fd == -1 && (b->fd = body_tmpfile(b->dir)) == -1)
		return -1;
	if (body_write(b, b->mem, b->len) == -1)
		return -1;
	b->len = 0;
	return 0;
}

int
body_append(struct body *b, const void *data, size_t len)
{
	if (b->len + len > b->max) {
		if (body_spill(b) == -1)
			return -1;
		if (len >= b->max)	/* straight on, no copy */
			return body_write(b, data, len);
	}
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		unsigned char *p;

		while (cap < b->len + len)
			cap *= 2;
		if (cap > b->max)
			cap = b->max;
		if ((p = realloc(b->mem, cap)) == NULL)
			return -1;
		b->mem = p;
		b->cap = cap;
	}
	memcpy(b->mem + b->len, data, len);
	b->len += len;
	return 0;
}

long
body_get(struct body *b, long long off, void *buf, size_t max,
    const void **data)
{
	ssize_t n;

	if (off >= b->flen) {
		size_t moff = (size_t)(off - b->flen);

		if (moff >= b->len)
			return 0;
		*data = b->mem + moff;
		return (long)(b->len - moff < max ? b->len - moff : max);
	}
	if ((long long)max > b->flen - off)
		max = (size_t)(b->flen - off);
	do
		n = pread(b->fd, buf, max, off);
	while (n == -1 && errno == EINTR);
	if (n <= 0)
		return -1;
	*data = buf;
	return (long)n;
}
