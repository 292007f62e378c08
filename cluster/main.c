/* main.c - foobar-cluster: checks cluster.conf and applies this host's
 * part of it (PRODUCT.md §13). */
#include "cluster.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef CLUSTER_CONFIG_FILE
#define CLUSTER_CONFIG_FILE "/etc/foobar/cluster.conf"
#endif

static const char usage[] = "[-c FILE] [--host NAME] [--webd-conf FILE] "
    "[--force] check|apply|status|bootstrap|render DIR";

static const char help[] =
    "Checks the description of a site on several hosts (cluster.conf) and\n"
    "writes this host's engine configs for its roles.\n"
    "\n"
    "  check        validate cluster.conf, the secret file and tls_ca\n"
    "  apply        write this host's configs, check them with each\n"
    "               engine, reload what changed; idempotent\n"
    "  status       hosts, roles, engines; exit 1 when degraded\n"
    "  bootstrap    apply, and start a new Galera cluster on this db\n"
    "               host: refused when another node is in one or has a\n"
    "               more recent state\n"
    "  render DIR   write the files apply would install under DIR\n"
    "\n"
    "  -c, --config FILE   cluster description (default "
    CLUSTER_CONFIG_FILE ")\n"
    "      --host NAME     this host's name in it (default: the host\n"
    "                      whose address is on a local interface)\n"
    "      --webd-conf FILE  the webd.conf a web host's is made from\n"
    "                      (default /etc/foobar/webd.conf)\n"
    "      --force         bootstrap even when a db host does not answer\n"
    "  -V, --version       print the version and exit\n"
    "  -h, --help          print this help and exit\n"
    "\n"
    "Exit status: 0 done, 1 runtime failure or degraded, 2 usage error, "
    "78 bad\nconfiguration.\n";

struct opts {
	const char *prog;
	const char *config;
	const char *host;
	const char *webd_conf;
	int force;
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_HOST = 256, OPT_WEBD_CONF, OPT_FORCE };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "webd-conf", required_argument, NULL, OPT_WEBD_CONF },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (*optarg == '\0')
				cli_usage_error(o->prog, usage,
				    "option -c needs a file name");
			o->config = optarg;
			break;
		case OPT_HOST:
			o->host = optarg;
			break;
		case OPT_WEBD_CONF:
			o->webd_conf = optarg;
			break;
		case OPT_FORCE:
			o->force = 1;
			break;
		case 'V':
			cli_print_version(o->prog);
			cli_exit(o->prog, EXIT_OK);
		case 'h':
			printf("usage: %s %s\n\n%s", o->prog, usage, help);
			cli_exit(o->prog, EXIT_OK);
		default:
			cli_option_error(o->prog, usage, argv, c);
		}
	}
}

static int
run(const struct opts *o, const struct cluster *c, int argc, char **argv)
{
	const char *cmd = argv[0];
	struct apply_opts ao = { o->host, NULL, o->webd_conf, 0, o->force };
	struct cluster_secret *s;
	char err[1024];

	if (strcmp(cmd, "check") == 0) {
		static struct cluster_secret secret;

		s = &secret;
		if (cluster_secret_read(c, s, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return EXIT_CONFIG;
		}
		explicit_bzero(s, sizeof(*s));
		if (certs_check(c) == -1)
			return EXIT_CONFIG;
		cli_config_ok();
		return EXIT_OK;
	}
	if (strcmp(cmd, "apply") == 0 || strcmp(cmd, "bootstrap") == 0) {
		ao.bootstrap = strcmp(cmd, "bootstrap") == 0;
		if (geteuid() != 0)
			fprintf(stderr, "%s: apply: not root; it will "
			    "fail to install files\n", o->prog);
		return cluster_apply(c, &ao);
	}
	if (strcmp(cmd, "render") == 0) {
		if (argc != 2 || argv[1][0] == '\0')
			cli_usage_error(o->prog, usage, "render needs a "
			    "folder");
		ao.render_dir = argv[1];
		return cluster_apply(c, &ao);
	}
	return cluster_status(c, o->host);
}

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "check", "apply", "status",
		"bootstrap", "render" };
	struct opts o = { cli_basename(argv[0]), CLUSTER_CONFIG_FILE, NULL,
		"/etc/foobar/webd.conf", 0 };
	static struct cluster c;
	char err[1024];
	size_t i;
	int rc;

	parse_args(argc, argv, &o);
	if (optind >= argc)
		cli_usage_error(o.prog, usage, "missing command");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i]) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		cli_usage_error(o.prog, usage, "unknown command \"%s\"",
		    argv[optind]);
	if (strcmp(argv[optind], "render") != 0 && optind + 1 != argc)
		cli_usage_error(o.prog, usage, "too many arguments");
	if (cluster_load(o.config, &c, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		cluster_free(&c);
		cli_exit(o.prog, EXIT_CONFIG);
	}
	rc = run(&o, &c, argc - optind, argv + optind);
	cluster_free(&c);
	cli_exit(o.prog, rc);
}
