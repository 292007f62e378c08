/* main.c - foobar-webd: start-up, signals, reload, graceful stop and the
 * systemd notifications. */
#include "webd.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "sd.h"

#define WEBD_DEFAULT_CONFIG "/etc/foobar/webd.conf"
#define WEBD_MAX_DRAINING 16

static const char webd_usage[] = "[-c FILE] [-t] [-V] [-h]";
static const char webd_help[] =
    "Serves static files over HTTP and forwards to FastCGI backends.\n"
    "\n"
    "  -c, --config FILE  configuration file (default "
    WEBD_DEFAULT_CONFIG ")\n"
    "  -t, --test         check the configuration and exit\n"
    "  -V, --version      print the version and exit\n"
    "  -h, --help         print this help and exit\n"
    "\n"
    "Signals: HUP reloads the configuration, TERM stops gracefully.\n";

/* The listening sockets: from systemd, or bound from `listen` and
 * `listen_tls`. */
struct listener {
	char addr[256];
	int fd;
	int tls;
};

/* The name of the sockets systemd passes for HTTPS
 * (FileDescriptorName=); any other name is plain HTTP. */
#define WEBD_SD_HTTPS "https"

struct webd {
	const char *config_path;
	int from_systemd;
	struct listener *ls;
	size_t nls;
	struct server *cur;
	long long drain_ms;
	struct {
		struct server *srv;
		long long deadline;
	} old[WEBD_MAX_DRAINING];
	size_t nold;
	char metrics_addr[256];		/* "off", or what ms listens on */
	struct metrics_server *ms;
};

static long long
webd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Loads and checks a config with its certificates and access log. 0,
 * or -1 with err. */
static int
webd_load(const char *path, struct webd_config **cfp, struct tls_ctx **tlsp,
    struct accesslog **alp, char *err, size_t errlen)
{
	struct webd_config *cf;
	char msg[512];

	cf = config_load(path, err, errlen);
	if (cf == NULL)
		return -1;
	if (!server_check_root(cf, err, errlen)) {
		config_free(cf);
		return -1;
	}
	*tlsp = tls_load(cf, err, errlen);
	if (*tlsp == NULL) {
		config_free(cf);
		return -1;
	}
	*alp = accesslog_open(cf->access_log, msg, sizeof(msg));
	if (*alp == NULL) {
		snprintf(err, errlen, "%s: %s", path, msg);
		tls_free(*tlsp);
		config_free(cf);
		return -1;
	}
	*cfp = cf;
	return 0;
}

/* The listeners for cf: systemd's, or cf's addresses, keeping sockets
 * already bound to the same address. Returns 0 with the new set in out
 * and n, or -1 with err (nothing changed). */
static int
webd_listeners(struct webd *w, const struct webd_config *cf,
    struct listener **out, size_t *n, char *err, size_t errlen)
{
	struct listener *ls;
	size_t i, j;

	if (w->from_systemd) {
		*out = w->ls;
		*n = w->nls;
		return 0;
	}
	ls = calloc(cf->listen.n + cf->listen_tls.n + 1, sizeof(*ls));
	if (ls == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < cf->listen.n + cf->listen_tls.n; i++) {
		ls[i].tls = i >= cf->listen.n;
		snprintf(ls[i].addr, sizeof(ls[i].addr), "%s", ls[i].tls ?
		    cf->listen_tls.v[i - cf->listen.n] : cf->listen.v[i]);
		ls[i].fd = -1;
		for (j = 0; j < w->nls; j++)
			if (strcmp(w->ls[j].addr, ls[i].addr) == 0)
				ls[i].fd = w->ls[j].fd;
		if (ls[i].fd == -1)
			ls[i].fd = sdsock_bind(ls[i].addr, 4096, 0, err,
			    errlen);
		if (ls[i].fd == -1)
			goto fail;
	}
	*out = ls;
	*n = cf->listen.n + cf->listen_tls.n;
	return 0;
fail:
	/* close only the sockets this call bound */
	while (i-- > 0) {
		for (j = 0; j < w->nls; j++)
			if (w->ls[j].fd == ls[i].fd)
				break;
		if (j == w->nls)
			close(ls[i].fd);
	}
	free(ls);
	return -1;
}

/* Replaces w's listeners by ls, closing those no longer used. */
static void
webd_set_listeners(struct webd *w, struct listener *ls, size_t n)
{
	size_t i, j;

	if (ls == w->ls)
		return;
	for (i = 0; i < w->nls; i++) {
		for (j = 0; j < n; j++)
			if (ls[j].fd == w->ls[i].fd)
				break;
		if (j == n)
			close(w->ls[i].fd);
	}
	free(w->ls);
	w->ls = ls;
	w->nls = n;
}

/* Starts, moves or stops the /metrics listener for addr ("off": none).
 * On failure the old one is kept. */
static void
webd_metrics(struct webd *w, const char *addr)
{
	struct metrics_server *ms = NULL;
	char err[512];
	int fd;

	if (strcmp(addr, w->metrics_addr) == 0)
		return;
	if (strcmp(addr, "off") != 0) {
		server_metrics_stop(w->ms);	/* the address may be the same */
		w->ms = NULL;
		fd = sdsock_bind(addr, 64, 0, err, sizeof(err));
		if (fd == -1 || (ms = server_metrics_start(fd, err,
		    sizeof(err))) == NULL) {
			log_err("metrics: %s", err);
			snprintf(w->metrics_addr, sizeof(w->metrics_addr), "off");
			return;
		}
		log_info("metrics on %s", addr);
	} else {
		server_metrics_stop(w->ms);
	}
	w->ms = ms;
	snprintf(w->metrics_addr, sizeof(w->metrics_addr), "%s", addr);
}

static struct server *
webd_start(const struct listener *ls, size_t nls, struct webd_config *cf,
    struct tls_ctx *tls, struct accesslog *al, char *err, size_t errlen)
{
	struct server_socket socks[64];
	size_t i, n = nls < 64 ? nls : 64;

	for (i = 0; i < n; i++) {
		socks[i].fd = ls[i].fd;
		socks[i].tls = ls[i].tls;
	}
	return server_start(cf, al, tls, socks, n, err, errlen);
}

/* Logs the certificates in use. */
static void
webd_log_certs(const struct tls_ctx *tls)
{
	size_t i;
	char line[512];

	for (i = 0; i < tls_count(tls); i++)
		log_info("certificate %s", tls_describe(tls, i, line,
		    sizeof(line)));
}

/* Forgets a listener set that was not taken: closes what it bound. */
static void
webd_drop_listeners(struct webd *w, struct listener *ls, size_t n)
{
	size_t i, j;

	if (ls == w->ls)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < w->nls; j++)
			if (w->ls[j].fd == ls[i].fd)
				break;
		if (j == w->nls)
			close(ls[i].fd);
	}
	free(ls);
}

static void
webd_reload(struct webd *w)
{
	struct webd_config *cf;
	struct tls_ctx *tls;
	struct accesslog *al;
	struct listener *ls;
	struct server *srv;
	long long drain;
	size_t nls;
	char err[1024], maddr[256];

	sdnotify_reloading();
	log_notice("reloading %s", w->config_path);
	if (w->nold == WEBD_MAX_DRAINING) {
		log_err("reload refused: too many reloads still draining");
		goto out;
	}
	if (webd_load(w->config_path, &cf, &tls, &al, err, sizeof(err)) ==
	    -1) {
		log_err("reload refused, old configuration kept: %s", err);
		goto out;
	}
	if (webd_listeners(w, cf, &ls, &nls, err, sizeof(err)) == -1) {
		log_err("reload refused, old configuration kept: %s", err);
		config_free(cf);
		tls_free(tls);
		accesslog_close(al);
		goto out;
	}
	drain = cf->drain_timeout;
	snprintf(maddr, sizeof(maddr), "%s", cf->metrics_listen);
	webd_log_certs(tls);
	srv = webd_start(ls, nls, cf, tls, al, err, sizeof(err));
	if (srv == NULL) {
		log_err("reload refused, old configuration kept: %s", err);
		webd_drop_listeners(w, ls, nls);
		goto out;
	}
	/* The new daemons accept already; the old ones stop accepting and
	 * finish what they have, each answer with "Connection: close". */
	server_quiesce(w->cur, 0);
	w->old[w->nold].srv = w->cur;
	w->old[w->nold].deadline = webd_now_ms() + drain;
	w->nold++;
	w->cur = srv;
	w->drain_ms = drain;
	webd_set_listeners(w, ls, nls);
	webd_metrics(w, maddr);
	log_notice("configuration reloaded");
out:
	sdnotify_ready();
}

/* Sweeps deadlines and finishes old servers once drained. */
static void
webd_tick(struct webd *w)
{
	long long now = webd_now_ms();
	size_t i = 0;

	server_sweep(w->cur);
	while (i < w->nold) {
		struct server *s = w->old[i].srv;

		server_sweep(s);
		if (server_connections(s) == 0 || now >= w->old[i].deadline) {
			server_stop(s);
			w->old[i] = w->old[--w->nold];
			continue;
		}
		i++;
	}
}

static void
webd_status(struct webd *w, long long *last_ms,
    unsigned long long *last_req)
{
	long long now = webd_now_ms();
	unsigned long long req = server_requests_total();
	unsigned conns = server_connections(w->cur);
	double rate;
	size_t i;

	for (i = 0; i < w->nold; i++)
		conns += server_connections(w->old[i].srv);
	rate = now > *last_ms ? (double)(req - *last_req) * 1000.0 /
	    (double)(now - *last_ms) : 0;
	sdnotify_status("%u connections, %.0f requests/s, %llu requests",
	    conns, rate, req);
	*last_ms = now;
	*last_req = req;
}

/* Stops accepting, lets requests in flight finish, closes idle
 * keep-alive connections, then stops. For the first second, kept
 * connections are not closed while idle but get their next answer with
 * "Connection: close": closing a connection the instant it falls idle races
 * with the client's next request on it (the client sees it reset). */
static void
webd_shutdown(struct webd *w, long long drain_ms)
{
	long long deadline = webd_now_ms() + drain_ms;
	long long grace = webd_now_ms() + (drain_ms < 1000 ? drain_ms : 1000);
	int close_idle = 0;
	size_t i;

	sdnotify_stopping();
	log_notice("stopping");
	server_quiesce(w->cur, 0);
	for (i = 0; i < w->nold; i++)
		server_quiesce(w->old[i].srv, 0);
	for (;;) {
		if (!close_idle && webd_now_ms() >= grace) {
			close_idle = 1;
			server_quiesce(w->cur, 1);
			for (i = 0; i < w->nold; i++)
				server_quiesce(w->old[i].srv, 1);
		}
		unsigned conns;

		webd_tick(w);
		conns = server_connections(w->cur);
		for (i = 0; i < w->nold; i++)
			conns += server_connections(w->old[i].srv);
		if (conns == 0 || webd_now_ms() >= deadline)
			break;
		usleep(50000);
	}
	for (i = 0; i < w->nold; i++)
		server_stop(w->old[i].srv);
	w->nold = 0;
	server_stop(w->cur);
	w->cur = NULL;
}

static int
webd_open_listeners(struct webd *w, const struct webd_config *cf)
{
	struct sdsock *sk;
	char err[512];
	int i, n;

	n = sdsock_adopt(&sk, err, sizeof(err));
	if (n == -1) {
		log_err("%s", err);
		return -1;
	}
	if (n > 0) {
		w->from_systemd = 1;
		w->ls = calloc((size_t)n, sizeof(*w->ls));
		if (w->ls == NULL) {
			free(sk);
			return -1;
		}
		for (i = 0; i < n; i++) {
			w->ls[i].fd = sk[i].fd;
			w->ls[i].tls = strcmp(sk[i].name, WEBD_SD_HTTPS) == 0;
			snprintf(w->ls[i].addr, sizeof(w->ls[i].addr), "%s",
			    sk[i].name);
		}
		w->nls = (size_t)n;
		free(sk);
		log_info("serving %d socket(s) from systemd", n);
		return 0;
	}
	if (webd_listeners(w, cf, &w->ls, &w->nls, err, sizeof(err)) == -1) {
		log_err("%s", err);
		return -1;
	}
	for (i = 0; i < (int)w->nls; i++)
		log_info("listening on %s%s", w->ls[i].addr,
		    w->ls[i].tls ? " (https)" : "");
	return 0;
}

/* 1 (after saying so) when systemd passed an HTTPS socket but the
 * configuration has no certificate for it. */
static int
webd_https_without_cert(const struct webd *w, const struct tls_ctx *tls)
{
	size_t i;

	for (i = 0; i < w->nls; i++) {
		if (w->ls[i].tls && tls_count(tls) == 0) {
			log_err("%s: systemd passes an https socket, but there "
			    "is no [tls] section with certificate and key",
			    w->config_path);
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct webd w;
	struct cli_opts opts = { WEBD_DEFAULT_CONFIG, 0 };
	struct webd_config *cf;
	struct tls_ctx *tls;
	struct accesslog *al;
	unsigned long long last_req = 0;
	long long last_status, last_wd = 0;
	uint64_t wd_usec;
	sigset_t set;
	char err[1024];

	log_init(argv[0]);
	/* Per-request buffers come and go; keep glibc from mapping and
	 * trimming memory for each of them. */
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	if (getenv("WEBD_DEBUG") != NULL)
		log_set_level(LOG_PRIO_DEBUG);
	cli_parse_daemon(argc, argv, webd_usage, webd_help, &opts);
	if (webd_load(opts.config, &cf, &tls, &al, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (opts.test) {
		config_free(cf);
		tls_free(tls);
		accesslog_close(al);
		cli_config_ok();
		return EXIT_OK;
	}
	memset(&w, 0, sizeof(w));
	w.config_path = opts.config;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (tls_init(err, sizeof(err)) == -1) {
		log_err("%s", err);
		return EXIT_RUNTIME;
	}
	if (webd_open_listeners(&w, cf) == -1) {
		config_free(cf);
		tls_free(tls);
		accesslog_close(al);
		return EXIT_RUNTIME;
	}
	if (webd_https_without_cert(&w, tls)) {
		config_free(cf);
		tls_free(tls);
		accesslog_close(al);
		return EXIT_CONFIG;
	}
	w.drain_ms = cf->drain_timeout;
	snprintf(w.metrics_addr, sizeof(w.metrics_addr), "off");
	webd_metrics(&w, cf->metrics_listen);
	webd_log_certs(tls);
	w.cur = webd_start(w.ls, w.nls, cf, tls, al, err, sizeof(err));
	if (w.cur == NULL) {
		log_err("%s", err);
		return EXIT_RUNTIME;
	}
	wd_usec = sdnotify_watchdog_usec();
	sdnotify_ready();
	log_notice("serving");
	last_status = webd_now_ms();
	for (;;) {
		struct timespec tmo = { 0, 250 * 1000000L };
		int sig = sigtimedwait(&set, NULL, &tmo);
		long long now;

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			webd_reload(&w);
		webd_tick(&w);
		now = webd_now_ms();
		if (now - last_status >= 5000)
			webd_status(&w, &last_status, &last_req);
		if (wd_usec > 0 && (now - last_wd) * 1000 >=
		    (long long)(wd_usec / 2)) {
			sdnotify_watchdog();
			last_wd = now;
		}
	}
	webd_shutdown(&w, w.drain_ms);
	webd_set_listeners(&w, NULL, 0);
	server_metrics_stop(w.ms);
	log_notice("stopped");
	return EXIT_OK;
}
