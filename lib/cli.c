/* cli.c - the command-line conventions every foobar program shares. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FOOBAR_VERSION
#define FOOBAR_VERSION "0.0.0"
#endif

const char *
cli_basename(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	return slash ? slash + 1 : argv0;
}

void
cli_print_version(const char *progname)
{
	printf("%s %s\n", progname, FOOBAR_VERSION);
}

void
cli_config_ok(void)
{
	printf("configuration OK\n");
	fflush(stdout);
}

void
cli_usage_error(const char *progname, const char *usage, const char *fmt,
    ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s %s\n", progname, usage);
	exit(EXIT_USAGE);
}

void
cli_parse_daemon(int argc, char **argv, const char *usage, const char *help,
    struct cli_opts *opts)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *prog = cli_basename(argv[0]);
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:tVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts->config = optarg;
			break;
		case 't':
			opts->test = 1;
			break;
		case 'V':
			cli_print_version(prog);
			exit(EXIT_OK);
		case 'h':
			printf("usage: %s %s\n%s", prog, usage, help);
			exit(EXIT_OK);
		case ':':
			cli_usage_error(prog, usage, "option -%c needs a value",
			    optopt);
		default:
			if (optopt != 0)
				cli_usage_error(prog, usage,
				    "unknown option -%c", optopt);
			cli_usage_error(prog, usage, "unknown option %s",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		cli_usage_error(prog, usage, "unexpected argument \"%s\"",
		    argv[optind]);
}
