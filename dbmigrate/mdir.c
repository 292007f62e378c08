/* mdir.c - the migration folder: names, contents, checksums, statements. */
#include "dbmigrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define MDIR_MAX_FILE (64 * 1024 * 1024)

static int
mdir_ends_with(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

int
mdir_parse_name(const char *file, uint64_t *version, const char **name,
    size_t *name_len, enum mdir_kind *kind, char *err, size_t errlen)
{
	size_t n = strlen(file), i = 0, end;
	uint64_t v = 0;

	if (!mdir_ends_with(file, n, ".sql"))
		return 0;
	if (mdir_ends_with(file, n, ".up.sql")) {
		*kind = MDIR_UP;
		end = n - 7;
	} else if (mdir_ends_with(file, n, ".down.sql")) {
		*kind = MDIR_DOWN;
		end = n - 9;
	} else {
		snprintf(err, errlen, "%s: not VERSION_NAME.up.sql or "
		    "VERSION_NAME.down.sql", file);
		return -1;
	}
	for (; i < end && file[i] >= '0' && file[i] <= '9'; i++) {
		if (v > (UINT64_MAX - (uint64_t)(file[i] - '0')) / 10) {
			snprintf(err, errlen, "%s: version too large", file);
			return -1;
		}
		v = v * 10 + (uint64_t)(file[i] - '0');
	}
	if (i == 0 || i >= end || file[i] != '_' || i + 1 == end) {
		snprintf(err, errlen, "%s: not VERSION_NAME.%s.sql (VERSION "
		    "digits, NAME not empty)", file,
		    *kind == MDIR_UP ? "up" : "down");
		return -1;
	}
	if (v == 0) {
		snprintf(err, errlen, "%s: version must be positive", file);
		return -1;
	}
	*version = v;
	*name = file + i + 1;
	*name_len = end - i - 1;
	return 1;
}

size_t
mdir_normalize(char *buf, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
			continue;
		buf[j++] = buf[i];
	}
	return j;
}

static int
mdir_read(const char *path, char **text, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		log_err("%s: not a regular file", path);
		goto fail_logged;
	}
	if (st.st_size > MDIR_MAX_FILE) {
		log_err("%s: larger than %d bytes", path, MDIR_MAX_FILE);
		goto fail_logged;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (n < (size_t)st.st_size &&
	    (r = read(fd, buf + n, (size_t)st.st_size - n)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		n += (size_t)r;
	}
	close(fd);
	n = mdir_normalize(buf, n);
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
fail:
	log_err("%s: %s", path, strerror(errno));
fail_logged:
	if (fd != -1)
		close(fd);
	free(buf);
	return -1;
}

static int
mdir_load_file(struct mfile *f)
{
	char err[256];

	if (mdir_read(f->path, &f->text, &f->len) == -1)
		return -1;
	sha256_hex(f->text, f->len, f->checksum);
	if (sqlsplit(f->text, f->len, &f->script, err, sizeof(err)) == -1) {
		/* "line N: message" becomes "PATH:N: message" */
		log_err("%s:%s", f->path, err + 5);
		return -1;
	}
	if (f->script.n == 0) {
		log_err("%s: empty migration (no SQL statement)", f->path);
		return -1;
	}
	return 0;
}

static struct migration *
mdir_slot(struct mdir *md, size_t *cap, uint64_t version, const char *name,
    size_t name_len)
{
	struct migration *m;
	size_t i;

	for (i = 0; i < md->n; i++)
		if (md->m[i].version == version)
			return &md->m[i];
	if (md->n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		if ((m = realloc(md->m, *cap * sizeof(*m))) == NULL)
			return NULL;
		md->m = m;
	}
	m = &md->m[md->n++];
	memset(m, 0, sizeof(*m));
	m->version = version;
	if ((m->name = strndup(name, name_len)) == NULL)
		return NULL;
	return m;
}

static int
mdir_add(struct mdir *md, size_t *cap, const char *dir, const char *file)
{
	char err[512];
	const char *name;
	size_t name_len;
	uint64_t version;
	enum mdir_kind kind;
	struct migration *m;
	struct mfile *f;
	int r;

	r = mdir_parse_name(file, &version, &name, &name_len, &kind, err,
	    sizeof(err));
	if (r <= 0) {
		if (r == -1)
			log_err("%s/%s", dir, err);
		return r;
	}
	if ((m = mdir_slot(md, cap, version, name, name_len)) == NULL) {
		log_err("out of memory");
		return -1;
	}
	f = kind == MDIR_UP ? &m->up : &m->down;
	if (f->path != NULL || strlen(m->name) != name_len ||
	    memcmp(m->name, name, name_len) != 0) {
		log_err("%s/%s: duplicate version %" PRIu64 " (also %s)", dir,
		    file, version,
		    f->path ? f->base : m->up.path ? m->up.base : m->down.base);
		return -1;
	}
	if (asprintf(&f->path, "%s/%s", dir, file) == -1) {
		f->path = NULL;
		log_err("out of memory");
		return -1;
	}
	f->base = f->path + strlen(dir) + 1;
	return 0;
}

static int
mdir_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

int
mdir_load(const char *dir, struct mdir *md)
{
	struct dirent *de;
	DIR *d;
	size_t cap = 0, i;
	int rc = 0;

	md->m = NULL;
	md->n = 0;
	if ((d = opendir(dir)) == NULL) {
		log_err("migrations folder %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && mdir_add(md, &cap, dir,
		    de->d_name) == -1)
			rc = -1;
	closedir(d);
	if (md->n > 1)
		qsort(md->m, md->n, sizeof(*md->m), mdir_cmp);
	for (i = 0; i < md->n; i++) {
		if (md->m[i].up.path == NULL) {
			log_err("%s: no %" PRIu64 "_%s.up.sql beside it",
			    md->m[i].down.path, md->m[i].version,
			    md->m[i].name);
			rc = -1;
			continue;
		}
		if (mdir_load_file(&md->m[i].up) == -1)
			rc = -1;
		if (md->m[i].down.path && mdir_load_file(&md->m[i].down) == -1)
			rc = -1;
	}
	return rc;
}

static void
mdir_free_file(struct mfile *f)
{
	free(f->path);
	free(f->text);
	sqlsplit_free(&f->script);
}

void
mdir_free(struct mdir *md)
{
	size_t i;

	for (i = 0; i < md->n; i++) {
		free(md->m[i].name);
		mdir_free_file(&md->m[i].up);
		mdir_free_file(&md->m[i].down);
	}
	free(md->m);
	md->m = NULL;
	md->n = 0;
}

struct migration *
mdir_find(struct mdir *md, uint64_t version)
{
	size_t lo = 0, hi = md->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (md->m[mid].version == version)
			return &md->m[mid];
		if (md->m[mid].version < version)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
