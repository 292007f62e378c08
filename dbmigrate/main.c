/* main.c - foobar-dbmigrate: options, then one command. */
#include "dbmigrate.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

#define PROG "foobar-dbmigrate"

static const char usage[] =
    "[-c OPTION_FILE] [-g GROUP] [-d DIR] [--dry-run] "
    "[--lock-timeout SECONDS] [--allow-out-of-order] [--metrics-file FILE] "
    "COMMAND [ARGS]";

static const char help[] =
    "Versioned SQL migrations for MySQL/MariaDB.\n"
    "\n"
    "Options (before the command):\n"
    "  -c, --config FILE         MySQL option file "
    "(default /etc/foobar/db.cnf)\n"
    "  -g, --group GROUP         option file group (default foobar)\n"
    "  -d, --dir DIR             migrations folder "
    "(default /usr/share/foobar/migrations)\n"
    "      --dry-run             print what would run, change nothing\n"
    "      --lock-timeout SECS   wait this long for another run "
    "(default 60)\n"
    "      --allow-out-of-order  apply versions older than the newest "
    "applied\n"
    "      --metrics-file FILE   node-exporter textfile written after "
    "each run,\n"
    "                            off for none (default\n"
    "                            " DBM_METRICS_FILE ")\n"
    "  -V, --version             print the version\n"
    "  -h, --help                print this help\n"
    "\n"
    "Commands:\n"
    "  status                    applied, pending, failed (exit 3/4/5 "
    "when not all applied)\n"
    "  up [--to VERSION]         apply pending migrations in order\n"
    "  down [N] [--to VERSION]   revert the newest N (default 1), or all "
    "above VERSION\n"
    "  redo                      down 1 then up 1\n"
    "  validate                  compare checksums of applied files\n"
    "  baseline VERSION          record VERSION and below as applied\n"
    "  repair                    clear failed records, accept changed "
    "files\n"
    "  new NAME                  create VERSION_NAME.up.sql/.down.sql\n"
    "  provision                 (root) create the database and "
    "unix_socket user\n"
    "\n"
    "Exit: 0 ok, 1 failure, 2 usage, 3 pending, 4 failed migration, "
    "5 drift,\n6 lock timeout, 7 out of order, 8 bad migration files, "
    "78 bad option file.\n";

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void
usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_usage_error(PROG, usage, "%s", msg);
}

static uint64_t
parse_version(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v == 0)
		usage_error("bad version \"%s\" (a positive integer)", s);
	return v;
}

static long
parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		usage_error("bad %s \"%s\"", what, s);
	return v;
}

/* Parses "[--to V]" (and "--to=V") plus, for down, one count. */
static void
parse_cmd_args(int argc, char **argv, int allow_count, long *count,
    int *has_to, uint64_t *to)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0) {
			if (i + 1 == argc)
				usage_error("%s needs a version", argv[i]);
			*to = parse_version(argv[++i]);
			*has_to = 1;
		} else if (strncmp(argv[i], "--to=", 5) == 0) {
			*to = parse_version(argv[i] + 5);
			*has_to = 1;
		} else if (allow_count && argv[i][0] != '-' && *count == 0) {
			*count = parse_long(argv[i], "count", 1,
			    1000000);
		} else {
			usage_error("unexpected argument \"%s\" (options go "
			    "before the command)", argv[i]);
		}
	}
	if (*has_to && *count != 0)
		usage_error("down takes N or --to VERSION, not both");
}

static void
want_args(int argc, char **argv, int n)
{
	if (argc < n + 1)
		usage_error("%s needs an argument", argv[0]);
	if (argc > n + 1)
		usage_error("unexpected argument \"%s\" (options go before "
		    "the command)", argv[n + 1]);
}

static int
run_command(const struct dbm_opts *o, int argc, char **argv)
{
	const char *c = argv[0];
	uint64_t to = 0;
	long count = 0;
	int has_to = 0;

	if (strcmp(c, "up") == 0) {
		parse_cmd_args(argc - 1, argv + 1, 0, &count, &has_to, &to);
		return cmd_up(o, has_to, to);
	}
	if (strcmp(c, "down") == 0) {
		parse_cmd_args(argc - 1, argv + 1, 1, &count, &has_to, &to);
		return cmd_down(o, count ? count : 1, has_to, to);
	}
	if (strcmp(c, "baseline") == 0) {
		want_args(argc, argv, 1);
		return cmd_baseline(o, parse_version(argv[1]));
	}
	if (strcmp(c, "new") == 0) {
		want_args(argc, argv, 1);
		return cmd_new(o, argv[1]);
	}
	want_args(argc, argv, 0);
	if (strcmp(c, "status") == 0)
		return cmd_status(o);
	if (strcmp(c, "redo") == 0)
		return cmd_redo(o);
	if (strcmp(c, "validate") == 0)
		return cmd_validate(o);
	if (strcmp(c, "repair") == 0)
		return cmd_repair(o);
	if (strcmp(c, "provision") == 0)
		return cmd_provision(o);
	usage_error("unknown command \"%s\"", c);
}

int
main(int argc, char **argv)
{
	enum { OPT_DRY = 256, OPT_LOCK, OPT_OOO, OPT_METRICS };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "group", required_argument, NULL, 'g' },
		{ "dir", required_argument, NULL, 'd' },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "lock-timeout", required_argument, NULL, OPT_LOCK },
		{ "allow-out-of-order", no_argument, NULL, OPT_OOO },
		{ "metrics-file", required_argument, NULL, OPT_METRICS },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct dbm_opts o = { "/etc/foobar/db.cnf", "foobar",
		"/usr/share/foobar/migrations", 0, 60, 0, DBM_METRICS_FILE };
	int ch;

	log_init(PROG);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:g:d:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.option_file = optarg;
			break;
		case 'g':
			o.group = optarg;
			break;
		case 'd':
			o.dir = optarg;
			break;
		case OPT_DRY:
			o.dry_run = 1;
			break;
		case OPT_LOCK:
			o.lock_timeout = parse_long(optarg,
			    "--lock-timeout (seconds, 0 to 86400)",
			    0, 86400);
			break;
		case OPT_OOO:
			o.allow_out_of_order = 1;
			break;
		case OPT_METRICS:
			o.metrics_file = optarg;
			break;
		case 'V':
			cli_print_version(PROG);
			return EXIT_OK;
		case 'h':
			printf("usage: %s %s\n\n%s", PROG, usage, help);
			return EXIT_OK;
		default:
			usage_error("bad option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error("no command");
	return run_command(&o, argc - optind, argv + optind);
}
