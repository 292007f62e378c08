/* secret.c - the shared secret file and the passwords derived from it:
 * HMAC-SHA256(secret, purpose), so that every host derives the same ones
 * and none is stored in cluster.conf. */
#include "cluster.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "sha256.h"

static int
secret_fail(const struct cluster *c, char *err, size_t errlen,
    const char *what)
{
	int line = conf_key_line(c->path, "cluster", "secret_file", 0);

	if (line > 0)
		snprintf(err, errlen, "%s:%d: secret_file %s: %s", c->path,
		    line, c->secret_file, what);
	else
		snprintf(err, errlen, "%s: secret_file %s: %s", c->path,
		    c->secret_file, what);
	return -1;
}

int
cluster_secret_read(const struct cluster *c, struct cluster_secret *s,
    char *err, size_t errlen)
{
	char msg[160];
	struct stat st;
	ssize_t n;
	int fd;

	s->len = 0;
	if ((fd = open(c->secret_file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1)
		return secret_fail(c, err, errlen, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return secret_fail(c, err, errlen, "not a regular file");
	}
	if (st.st_mode & 077) {
		close(fd);
		snprintf(msg, sizeof(msg), "mode %04o: group and others must "
		    "have no access (chmod 600)", (unsigned)st.st_mode & 07777);
		return secret_fail(c, err, errlen, msg);
	}
	while ((n = read(fd, s->b + s->len, sizeof(s->b) - s->len)) > 0)
		s->len += (size_t)n;
	close(fd);
	if (n == -1)
		return secret_fail(c, err, errlen, strerror(errno));
	if (s->len < CLUSTER_SECRET_MIN || s->len == sizeof(s->b)) {
		snprintf(msg, sizeof(msg), "%zu bytes: give %d to %d bytes, "
		    "e.g. head -c 32 /dev/urandom | base64", s->len,
		    CLUSTER_SECRET_MIN, CLUSTER_SECRET_MAX - 1);
		return secret_fail(c, err, errlen, msg);
	}
	return 0;
}

void
cluster_derive(const struct cluster_secret *s, const char *purpose,
    size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	size_t i;

	sha256_hmac(s->b, s->len, purpose, strlen(purpose), md);
	if (n > 64)
		n = 64;
	for (i = 0; i < n; i++)
		out[i] = hex[(md[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	out[n] = '\0';
}
