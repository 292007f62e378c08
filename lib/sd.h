/* sd.h - systemd glue shared by the daemons: readiness notification,
 * the watchdog, sockets passed by systemd, and listen addresses bound by
 * hand when started without systemd. */
#ifndef FOOBAR_SD_H
#define FOOBAR_SD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Tells systemd the daemon is serving ("READY=1"). Does nothing outside
 * systemd. Returns 0 (also when not under systemd), or -1. */
int sdnotify_ready(void);

/* "RELOADING=1" with MONOTONIC_USEC; send sdnotify_ready() when done. */
int sdnotify_reloading(void);

/* "STOPPING=1". */
int sdnotify_stopping(void);

/* "STATUS=<text>", printf-style. */
int sdnotify_status(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The watchdog period in microseconds when systemd asked for pings
 * (WatchdogSec=), else 0. Send sdnotify_watchdog() every half period. */
uint64_t sdnotify_watchdog_usec(void);

/* "WATCHDOG=1". */
int sdnotify_watchdog(void);

/* One listening socket. */
struct sdsock {
	int fd;
	char name[64];	/* FileDescriptorName= under systemd, else the
			 * address as configured */
};

/* Takes the sockets systemd passed (LISTEN_FDS), marks them close-on-exec
 * and clears the LISTEN_* variables. Returns the number of sockets (0
 * without systemd) with a malloc'd array in *out, or -1 with a message in
 * err. */
int sdsock_adopt(struct sdsock **out, char *err, size_t errlen);

/* Parses a listen address: "HOST:PORT" with an IPv4 address or "*",
 * "[IPV6]:PORT", or "unix:/path". Pure. Returns 0 with the address in
 * ss/len, or -1 with a message in err. */
int sdsock_parse(const char *addr, struct sockaddr_storage *ss,
    socklen_t *len, char *err, size_t errlen);

/* Binds and listens on addr (see sdsock_parse): SO_REUSEADDR for TCP,
 * IPV6_V6ONLY for IPv6, a stale Unix socket file (nobody listening) is
 * removed first; mode, when not 0, is applied to a Unix socket file.
 * Returns the listening socket (non-blocking, close-on-exec), or -1 with
 * a message in err. */
int sdsock_bind(const char *addr, int backlog, unsigned mode, char *err,
    size_t errlen);

#endif
