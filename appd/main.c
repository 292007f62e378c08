/* main.c - foobar-appd: read the config, take or bind the listening
 * socket, run the master. */
#include "appd.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "sd.h"

static const char usage[] = "[-c FILE] [-t] [-V] [-h]";
static const char help[] =
    "FastCGI application server: native modules and CGI scripts run by\n"
    "supervised pre-forked workers.\n\n"
    "  -c, --config FILE  configuration (default " APPD_DEFAULT_CONFIG ")\n"
    "  -t, --test         check the configuration and exit\n"
    "  -V, --version      print the version\n"
    "  -h, --help         this help\n";

/* The sockets systemd passed: the FastCGI one, and the one named
 * "metrics" (foobar-appd-metrics.socket) into *metrics_fd. Returns the
 * FastCGI socket, 0 when systemd passed none, -1 on error. */
static int
appd_systemd_sockets(int *metrics_fd)
{
	struct sdsock *socks = NULL;
	char err[512];
	int n, fd = 0, i;

	n = sdsock_adopt(&socks, err, sizeof(err));
	if (n < 0) {
		log_err("%s", err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(socks[i].name, "metrics") == 0 && *metrics_fd == -1)
			*metrics_fd = socks[i].fd;
		else if (fd == 0)
			fd = socks[i].fd;
		else
			close(socks[i].fd);
	}
	free(socks);
	if (n > 0 && fd == 0) {
		log_err("systemd passed no FastCGI socket");
		return -1;
	}
	if (fd > 0) {
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		log_info("listening on %s (from systemd)", "socket");
	}
	return fd;
}

/* The socket systemd passed, else the configured listen address; the
 * metrics socket likewise (-1 in *metrics_fd when off). */
static int
appd_listen_socket(const struct appd_conf *conf, int *metrics_fd)
{
	char err[512];
	int fd;

	*metrics_fd = -1;
	fd = appd_systemd_sockets(metrics_fd);
	if (fd == -1)
		return -1;
	if (strcmp(conf->metrics_listen, "off") == 0) {
		if (*metrics_fd != -1)
			close(*metrics_fd);
		*metrics_fd = -1;
	} else if (*metrics_fd == -1) {
		*metrics_fd = sdsock_bind(conf->metrics_listen, 64, 0, err,
		    sizeof(err));
		if (*metrics_fd == -1) {
			log_err("metrics: %s", err);
			if (fd > 0)
				close(fd);
			return -1;
		}
		log_info("metrics on %s", conf->metrics_listen);
	} else {
		fcntl(*metrics_fd, F_SETFL, fcntl(*metrics_fd, F_GETFL) |
		    O_NONBLOCK);
		log_info("metrics on a socket from systemd");
	}
	if (fd > 0)
		return fd;
	fd = sdsock_bind(conf->listen, 1024, 0660, err, sizeof(err));
	if (fd == -1) {
		log_err("%s", err);
		return -1;
	}
	log_info("listening on %s", conf->listen);
	return fd;
}

int
main(int argc, char **argv)
{
	struct cli_opts opts = { APPD_DEFAULT_CONFIG, 0 };
	struct appd_conf *conf = calloc(1, sizeof(*conf));
	char err[512];
	int fd, mfd;

	log_init(argv[0]);
	cli_parse_daemon(argc, argv, usage, help, &opts);
	if (conf == NULL)
		return EXIT_RUNTIME;
	if (appd_conf_load(conf, opts.config, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (opts.test) {
		cli_config_ok();
		return EXIT_OK;
	}
	if ((fd = appd_listen_socket(conf, &mfd)) == -1)
		return EXIT_RUNTIME;
	appd_metrics_init(mfd);
	return appd_master_run(conf, opts.config, fd);
}
