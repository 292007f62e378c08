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
	const char *slash;

	if (argv0 == NULL || *argv0 == '\0')
		return "foobar";
	slash = strrchr(argv0, '/');
	return slash ? slash + 1 : argv0;
}

void
cli_exit(const char *progname, int status)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "%s: write error on standard output\n",
		    progname);
		exit(EXIT_RUNTIME);
	}
	exit(status);
}

void
cli_option_error(const char *progname, const char *usage, char **argv,
    int c)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	char opt[64];

	/* The option as it was typed: "--config" or "-c". */
	if (arg != NULL && strncmp(arg, "--", 2) == 0)
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="),
		    arg);
	else if (optopt > 0x20 && optopt < 0x7f)
		snprintf(opt, sizeof(opt), "-%c", optopt);
	else
		snprintf(opt, sizeof(opt), "%s", arg != NULL ? arg : "?");
	if (c == ':')
		cli_usage_error(progname, usage, "option %s needs a value",
		    opt);
	if (optopt != 0 && arg != NULL && strncmp(arg, "--", 2) == 0 &&
	    strchr(arg, '=') != NULL)
		cli_usage_error(progname, usage, "option %s takes no value",
		    opt);
	cli_usage_error(progname, usage, "unknown option %s", opt);
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
	const char *prog = cli_basename(argc > 0 ? argv[0] : NULL);
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:tVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (*optarg == '\0')
				cli_usage_error(prog, usage,
				    "option -c needs a file name");
			opts->config = optarg;
			break;
		case 't':
			opts->test = 1;
			break;
		case 'V':
			cli_print_version(prog);
			cli_exit(prog, EXIT_OK);
		case 'h':
			printf("usage: %s %s\n%s", prog, usage, help);
			cli_exit(prog, EXIT_OK);
		default:
			cli_option_error(prog, usage, argv, c);
		}
	}
	if (optind < argc)
		cli_usage_error(prog, usage, "unexpected argument \"%s\"",
		    argv[optind]);
}
