/* util.c - clocks and bounded writes. */
#include "appd.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

int64_t
appd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
appd_write_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	struct pollfd pfd;
	ssize_t n;
	int rc;

	while (len > 0) {
		n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		rc = poll(&pfd, 1, timeout_ms);
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}
