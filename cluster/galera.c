/* galera.c - what a db host's node check (galera-check, port
 * GALERA_CHECK_PORT) says about its Galera node: asked over HTTP by
 * status and bootstrap; its "key value" lines read by galera_field. */
#include "cluster.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Waits for events on fd, at most until ms after t0. Returns 0 or -1. */
static int
wait_fd(int fd, short events, const struct timespec *t0, int ms)
{
	struct pollfd pfd = { fd, events, 0 };
	long left = ms - ms_since(t0);

	if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
		return -1;
	return 0;
}

static int
ask_connect(int fd, const struct in_addr *addr, const struct timespec *t0,
    int ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
		.sin_port = htons(GALERA_CHECK_PORT), .sin_addr = *addr };
	socklen_t elen = sizeof(int);
	int e = 0;

	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return 0;
	if (errno != EINPROGRESS || wait_fd(fd, POLLOUT, t0, ms) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1 || e != 0)
		return -1;
	return 0;
}

int
galera_ask(const struct in_addr *addr, const char *path, int ms,
    char *body, size_t bodylen)
{
	char buf[4096], req[256];
	struct timespec t0;
	size_t len = 0;
	ssize_t r;
	int fd, code = -1;
	const char *b;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	body[0] = '\0';
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || ask_connect(fd, addr, &t0, ms) == -1)
		goto done;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		goto done;
	while (len + 1 < sizeof(buf)) {
		if (wait_fd(fd, POLLIN, &t0, ms) == -1)
			goto done;
		if ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if ((code = galera_http_status(buf)) == -1)
		goto done;
	b = strstr(buf, "\r\n\r\n");
	snprintf(body, bodylen, "%s", b != NULL ? b + 4 : "");
done:
	if (fd != -1)
		close(fd);
	return code;
}

int
galera_http_status(const char *answer)
{
	const char *d = answer + 9;
	int i, code = 0;

	if (strncmp(answer, "HTTP/1.", 7) != 0 || answer[7] < '0' ||
	    answer[7] > '9' || answer[8] != ' ')
		return -1;
	for (i = 0; i < 3; i++) {
		if (d[i] < '0' || d[i] > '9')
			return -1;
		code = code * 10 + (d[i] - '0');
	}
	if (d[3] != ' ' && d[3] != '\r' && d[3] != '\n' && d[3] != '\0')
		return -1;
	return code;
}

long long
galera_seqno(const char *s)
{
	char num[24], err[64];
	size_t n = strcspn(s, ", \t\r\n");
	long long v;

	if (n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (conf_parse_int(num, -1, LLONG_MAX, &v, err, sizeof(err)) == -1)
		return -1;
	return v;
}

const char *
galera_field(const char *body, const char *key, char *out, size_t outlen)
{
	size_t klen = strlen(key), n;
	const char *p = body;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			p += klen + 1;
			n = strcspn(p, "\r\n");
			snprintf(out, outlen, "%.*s", (int)n, p);
			return out;
		}
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return NULL;
}
