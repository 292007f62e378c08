/* sd.c - systemd glue: sd_notify, the watchdog, socket adoption and
 * listen addresses bound by hand. */
#include "sd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

int
sdnotify_ready(void)
{
	return sd_notify(0, "READY=1") < 0 ? -1 : 0;
}

int
sdnotify_reloading(void)
{
	struct timespec ts;
	char msg[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return sd_notify(0, msg) < 0 ? -1 : 0;
}

int
sdnotify_stopping(void)
{
	return sd_notify(0, "STOPPING=1") < 0 ? -1 : 0;
}

int
sdnotify_status(const char *fmt, ...)
{
	char text[480], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "STATUS=%s", text);
	return sd_notify(0, msg) < 0 ? -1 : 0;
}

uint64_t
sdnotify_watchdog_usec(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec;
}

int
sdnotify_watchdog(void)
{
	return sd_notify(0, "WATCHDOG=1") < 0 ? -1 : 0;
}

int
sdsock_adopt(struct sdsock **out, char *err, size_t errlen)
{
	char **names = NULL;
	struct sdsock *s;
	int i, n;

	*out = NULL;
	n = sd_listen_fds_with_names(1, &names);
	if (n < 0) {
		snprintf(err, errlen, "sockets from systemd: %s",
		    strerror(-n));
		return -1;
	}
	if (n == 0)
		return 0;
	s = calloc((size_t)n, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			snprintf(err, errlen,
			    "socket %d from systemd is not a listening "
			    "stream socket", fd);
			goto fail;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		s[i].fd = fd;
		snprintf(s[i].name, sizeof(s[i].name), "%s",
		    names != NULL && names[i] != NULL ? names[i] : "systemd");
	}
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	*out = s;
	return n;
fail:
	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	free(s);
	return -1;
}

/* Parses a decimal port 1..65535 that ends the string. */
static int
sdsock_port(const char *s, in_port_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1 || v > 65535)
		return -1;
	*port = htons((uint16_t)v);
	return 0;
}

static int
sdsock_parse_unix(const char *path, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	size_t n = strlen(path);

	if (path[0] != '/' || n >= sizeof(un->sun_path)) {
		snprintf(err, errlen,
		    "\"unix:%s\": need an absolute path under %zu bytes",
		    path, sizeof(un->sun_path));
		return -1;
	}
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int
sdsock_parse(const char *addr, struct sockaddr_storage *ss, socklen_t *len,
    char *err, size_t errlen)
{
	char host[64];
	const char *colon;
	in_port_t port;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(addr, "unix:", 5) == 0)
		return sdsock_parse_unix(addr + 5, ss, len, err, errlen);
	if (addr[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		const char *close = strchr(addr, ']');

		if (close == NULL || close[1] != ':' ||
		    (size_t)(close - addr - 1) >= sizeof(host))
			goto bad;
		memcpy(host, addr + 1, (size_t)(close - addr - 1));
		host[close - addr - 1] = '\0';
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1 ||
		    sdsock_port(close + 2, &port) == -1)
			goto bad;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = port;
		*len = sizeof(*in6);
		return 0;
	}
	colon = strrchr(addr, ':');
	if (colon == NULL || (size_t)(colon - addr) >= sizeof(host))
		goto bad;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	{
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (strcmp(host, "*") == 0 || host[0] == '\0')
			in->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			goto bad;
		if (sdsock_port(colon + 1, &port) == -1)
			goto bad;
		in->sin_family = AF_INET;
		in->sin_port = port;
		*len = sizeof(*in);
	}
	return 0;
bad:
	snprintf(err, errlen,
	    "\"%s\" is not an address (IPV4:PORT, [IPV6]:PORT, *:PORT or "
	    "unix:/PATH)", addr);
	return -1;
}

/* Removes a Unix socket file that nobody listens on any more. */
static void
sdsock_unlink_stale(const struct sockaddr_un *un, socklen_t len)
{
	struct stat st;
	int fd;

	if (lstat(un->sun_path, &st) == -1 || !S_ISSOCK(st.st_mode))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return;
	if (connect(fd, (const struct sockaddr *)un, len) == -1 &&
	    errno == ECONNREFUSED)
		unlink(un->sun_path);
	close(fd);
}

int
sdsock_bind(const char *addr, int backlog, unsigned mode, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (sdsock_parse(addr, &ss, &len, err, errlen) == -1)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, errlen, "socket %s: %s", addr, strerror(errno));
		return -1;
	}
	if (ss.ss_family == AF_UNIX)
		sdsock_unlink_stale((struct sockaddr_un *)&ss, len);
	else
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(err, errlen, "bind %s: %s", addr, strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_UNIX && mode != 0 &&
	    chmod(((struct sockaddr_un *)&ss)->sun_path, mode) == -1) {
		snprintf(err, errlen, "chmod %s: %s", addr, strerror(errno));
		goto fail;
	}
	if (listen(fd, backlog) == -1) {
		snprintf(err, errlen, "listen %s: %s", addr, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}
