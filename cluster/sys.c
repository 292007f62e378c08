/* sys.c - what apply and status need from the system: running the
 * engines' checkers and systemctl, installing files atomically, and the
 * local interface addresses. */
#include "cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Feeds input to fd (then closes it) while reading the other fd into out;
 * small inputs only (SQL, a few KiB): written before reading. */
static void
run_io(int in_fd, const char *input, int out_fd, char *out, size_t outlen)
{
	size_t len = 0, n;
	ssize_t r;
	char sink[512];

	if (in_fd != -1) {
		n = strlen(input);
		while (n > 0 && (r = write(in_fd, input, n)) > 0) {
			input += r;
			n -= (size_t)r;
		}
		close(in_fd);
	}
	for (;;) {
		if (out != NULL && len + 1 < outlen)
			r = read(out_fd, out + len, outlen - 1 - len);
		else
			r = read(out_fd, sink, sizeof(sink));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out != NULL && len + 1 < outlen)
			len += (size_t)r;
	}
	if (out != NULL && outlen > 0)
		out[len] = '\0';
}

int
sys_run(char *const argv[], const char *input, char *out, size_t outlen)
{
	int inp[2] = { -1, -1 }, outp[2], status;
	pid_t pid;

	if (pipe2(outp, O_CLOEXEC) == -1 ||
	    (input != NULL && pipe2(inp, O_CLOEXEC) == -1))
		goto fail;
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0) {
		dup2(input != NULL ? inp[0] : open("/dev/null", O_RDONLY), 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		execv(argv[0], argv);
		dprintf(2, "%s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(outp[1]);
	if (input != NULL)
		close(inp[0]);
	signal(SIGPIPE, SIG_IGN);
	run_io(input != NULL ? inp[1] : -1, input, outp[0], out, outlen);
	close(outp[0]);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			goto fail;
	if (WIFEXITED(status))
		return WEXITSTATUS(status) == 127 ? -1 : WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
fail:
	if (out != NULL)
		snprintf(out, outlen, "%s: %s", argv[0], strerror(errno));
	return -1;
}

int
sys_same(const char *path, const char *text)
{
	size_t want = strlen(text), got = 0;
	char buf[8192];
	int same = 1;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (got + n > want || memcmp(buf, text + got, n) != 0)
			same = 0;
		got += n;
		if (!same)
			break;
	}
	if (ferror(f))
		same = -1;
	fclose(f);
	return same == 1 && got == want ? 1 : same == -1 ? -1 : 0;
}

static int
mkdirs(const char *path)
{
	char dir[4096], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0755) == -1 && errno != EEXIST ? -1 : 0;
}

int
sys_write(const char *path, const char *text, unsigned mode, long gid,
    char *err, size_t errlen)
{
	char tmp[4200];
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.foobar-new", path);
	if (mkdirs(path) == -1 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (off < len && (n = write(fd, text + off, len - off)) > 0)
		off += (size_t)n;
	if (off < len || fchmod(fd, mode) == -1 ||
	    (gid >= 0 && fchown(fd, 0, (gid_t)gid) == -1) || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

const struct cluster_host *
sys_whoami(const struct cluster *c, const char *force, char *ifname,
    size_t iflen, char *err, size_t errlen)
{
	const struct cluster_host *found = NULL;
	struct ifaddrs *ifa, *i;
	size_t h;

	if (force != NULL && (found = cluster_host_by_name(c, force)) ==
	    NULL) {
		snprintf(err, errlen, "%s: no host %s", c->path, force);
		return NULL;
	}
	if (getifaddrs(&ifa) == -1) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return NULL;
	}
	snprintf(ifname, iflen, "eth0");
	for (i = ifa; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in *sin = (void *)i->ifa_addr;

		if (sin == NULL || sin->sin_family != AF_INET)
			continue;
		for (h = 0; h < c->nhosts; h++) {
			const struct cluster_host *ch = &c->hosts[h];

			if (ch->address.a.s_addr != sin->sin_addr.s_addr ||
			    (force != NULL && ch != found))
				continue;
			if (found != NULL && ch != found) {
				snprintf(err, errlen, "this machine has the "
				    "addresses of hosts %s and %s: give "
				    "--host NAME", found->name, ch->name);
				freeifaddrs(ifa);
				return NULL;
			}
			found = ch;
			snprintf(ifname, iflen, "%s", i->ifa_name);
		}
	}
	freeifaddrs(ifa);
	if (found == NULL)
		snprintf(err, errlen, "no address of %s is on this machine: "
		    "give --host NAME", c->path);
	return found;
}

char *
sys_slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) == -1) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

long
sys_gid(const char *name)
{
	struct group *g = getgrnam(name);

	return g != NULL ? (long)g->gr_gid : -1;
}

int
sys_addr_local(const struct in_addr *addr)
{
	struct ifaddrs *ifa, *i;
	int found = 0;

	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		const struct sockaddr_in *sin = (void *)i->ifa_addr;

		found = sin != NULL && sin->sin_family == AF_INET &&
		    sin->sin_addr.s_addr == addr->s_addr;
	}
	freeifaddrs(ifa);
	return found;
}

char *
sys_haproxy_ask(const char *cmd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", SYS_HAPROXY_SOCK);
	if (buf == NULL ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		free(buf);
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd)) {
		close(fd);
		free(buf);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - 1 - len)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}
