/* file.c - opening files below the root, and what they are known by. */
#include "webd.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

static int file_have_openat2 = 1;

static int
file_errno_status(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return 404;
	case EACCES:
	case EPERM:
	case EXDEV:
	case ELOOP:
		return 403;
	default:
		return 500;
	}
}

/* Without openat2: open, then check that the real path is below root. */
static int
file_open_checked(int rootfd, const char *rootpath, const char *rel,
    int *status)
{
	char link[64], real[WEBD_PATH_MAX + 1];
	size_t rlen = strlen(rootpath);
	ssize_t n;
	int fd;

	fd = openat(rootfd, rel[0] ? rel : ".", O_RDONLY | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		*status = file_errno_status(errno);
		return -1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n <= 0 || (size_t)n >= sizeof(real) - 1) {
		close(fd);
		*status = 500;
		return -1;
	}
	real[n] = '\0';
	if (strncmp(real, rootpath, rlen) != 0 ||
	    (real[rlen] != '/' && real[rlen] != '\0' &&
	    !(rlen == 1 && rootpath[0] == '/'))) {
		close(fd);
		*status = 403;
		return -1;
	}
	return fd;
}

void
file_use_openat2(int on)
{
	file_have_openat2 = on;
}

int
file_open(int rootfd, const char *rootpath, const char *rel, int *status)
{
	struct open_how how;
	long fd;

	if (!file_have_openat2)
		return file_open_checked(rootfd, rootpath, rel, status);
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, rootfd, rel[0] ? rel : ".", &how,
	    sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS || errno == EPERM) {
		/* EPERM: a seccomp filter that does not know openat2 */
		file_have_openat2 = 0;
		return file_open_checked(rootfd, rootpath, rel, status);
	}
	if (errno == EAGAIN) /* raced with a rename: try the slow way */
		return file_open_checked(rootfd, rootpath, rel, status);
	*status = file_errno_status(errno);
	return -1;
}

void
file_etag(char *buf, size_t len, const struct stat *st)
{
	snprintf(buf, len, "\"%llx-%llx-%llx\"",
	    (unsigned long long)st->st_ino,
	    (unsigned long long)st->st_mtim.tv_sec * 1000000ULL +
	    (unsigned long long)st->st_mtim.tv_nsec / 1000ULL,
	    (unsigned long long)st->st_size);
}

int
file_accepts_gzip(const char *ae)
{
	const char *p;

	if (ae == NULL)
		return 0;
	for (p = ae; (p = strcasestr(p, "gzip")) != NULL; p += 4) {
		const char *q = p + 4;

		if (p != ae && p[-1] != ',' && p[-1] != ' ' && p[-1] != '\t')
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '\0' || *q == ',')
			return 1;
		if (*q != ';')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		if (strncasecmp(q, "q=", 2) != 0)
			return 1;
		q += 2;
		/* q=0, q=0.0, q=0.00... refuse it */
		if (q[0] == '0') {
			q++;
			if (*q == '.')
				q++;
			while (*q == '0')
				q++;
			if (*q < '1' || *q > '9')
				return 0;
		}
		return 1;
	}
	return 0;
}
