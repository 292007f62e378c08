/* main.c - foobar-backup: options, the config, then one command. */
#include "backup.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

#define PROG "foobar-backup"
#define DEFAULT_CONFIG "/etc/foobar/backup.conf"

static const char usage[] =
    "[-c FILE] [-t] [--yes] COMMAND [NAME]";

static const char help[] =
    "Backups of the foobar database (mariadb-dump --single-transaction, "
    "zstd).\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE   config file (default " DEFAULT_CONFIG ")\n"
    "  -t, --test          check the config and exit\n"
    "  -y, --yes           restore without asking\n"
    "  -V, --version       print the version\n"
    "  -h, --help          print this help\n"
    "\n"
    "Commands:\n"
    "  create              a consistent backup of the database now\n"
    "  list                backups with time, size, schema version, "
    "checksum state\n"
    "  verify [NAME]       restore into a scratch server and compare "
    "(default: newest)\n"
    "  restore NAME        put the database back to that backup\n"
    "  prune               apply the retention policy\n"
    "\n"
    "Exit: 0 ok, 1 failure, 2 usage, 78 bad config.\n";

static int
run(struct bk_conf *c, int argc, char **argv, int yes)
{
	const char *cmd = argv[0];
	int nargs = !strcmp(cmd, "restore") ? 1 : !strcmp(cmd, "verify") ?
	    -1 : 0;

	if (nargs == 1 && argc != 2)
		cli_usage_error(PROG, usage, "restore needs a backup NAME");
	if (nargs == -1 && argc > 2)
		cli_usage_error(PROG, usage, "verify takes one NAME at most");
	if (nargs == 0 && argc > 1)
		cli_usage_error(PROG, usage, "unexpected argument \"%s\"",
		    argv[1]);
	if (!strcmp(cmd, "create"))
		return cmd_create(c);
	if (!strcmp(cmd, "list"))
		return cmd_list(c);
	if (!strcmp(cmd, "verify"))
		return cmd_verify(c, argc == 2 ? argv[1] : NULL);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(c, argv[1], yes);
	if (!strcmp(cmd, "prune"))
		return cmd_prune(c);
	cli_usage_error(PROG, usage, "unknown command \"%s\"", cmd);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "yes", no_argument, NULL, 'y' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config = DEFAULT_CONFIG;
	struct bk_conf c;
	char err[1024];
	int ch, test = 0, yes = 0, rc;

	log_init(PROG);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:tyVh", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			if (*optarg == '\0')
				cli_usage_error(PROG, usage, "empty -c");
			config = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'y':
			yes = 1;
			break;
		case 'V':
			cli_print_version(PROG);
			cli_exit(PROG, EXIT_OK);
		case 'h':
			printf("usage: %s %s\n\n%s", PROG, usage, help);
			cli_exit(PROG, EXIT_OK);
		default:
			cli_option_error(PROG, usage, argv, ch);
		}
	}
	if (!test && optind >= argc)
		cli_usage_error(PROG, usage, "no command");
	if (bk_conf_load(config, strcmp(config, DEFAULT_CONFIG) == 0, &c, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (test) {
		cli_config_ok();
		bk_conf_free(&c);
		cli_exit(PROG, EXIT_OK);
	}
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	rc = run(&c, argc - optind, argv + optind, yes);
	bk_conf_free(&c);
	cli_exit(PROG, rc);
}
