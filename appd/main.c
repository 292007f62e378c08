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

/* The socket systemd passed, else the configured listen address. */
static int
appd_listen_socket(const struct appd_conf *conf)
{
	struct sdsock *socks = NULL;
	char err[512];
	int n, fd, i;

	n = sdsock_adopt(&socks, err, sizeof(err));
	if (n < 0) {
		log_err("%s", err);
		return -1;
	}
	if (n > 0) {
		fd = socks[0].fd;
		for (i = 1; i < n; i++)
			close(socks[i].fd);
		free(socks);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		log_info("listening on %s (from systemd)", "socket");
		return fd;
	}
	free(socks);
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
	int fd;

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
	if ((fd = appd_listen_socket(conf)) == -1)
		return EXIT_RUNTIME;
	return appd_master_run(conf, opts.config, fd);
}
