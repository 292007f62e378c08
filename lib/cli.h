/* cli.h - the command-line conventions every foobar program shares. */
#ifndef FOOBAR_CLI_H
#define FOOBAR_CLI_H

/* Exit statuses (PRODUCT.md §4). */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,
	EXIT_CONFIG = 78
};

/* The options every daemon takes: -c FILE, -t, -V, -h. */
struct cli_opts {
	const char *config; /* -c, or the default */
	int test;	    /* -t: check the config and exit */
};

/* Parses -c/-t/-V/-h (and --config, --test, --version, --help) for a
 * daemon. Prints help or the version and exits 0 for -h/-V; prints a
 * usage message and exits 2 on anything else (an empty -c too). usage is
 * the text after "usage: PROG ". Returns only on success. */
void cli_parse_daemon(int argc, char **argv, const char *usage,
    const char *help, struct cli_opts *opts);

/* Prints "PROG VERSION" to stdout. */
void cli_print_version(const char *progname);

/* Prints "PROG: message" and "usage: ..." hint to stderr, then exits 2. */
void cli_usage_error(const char *progname, const char *usage,
    const char *fmt, ...) __attribute__((format(printf, 3, 4), noreturn));

/* For getopt_long's ':' (missing value) and '?' (unknown option, or a
 * value given to a long option that takes none) when the optstring
 * starts with ':': prints the message naming the option as typed
 * ("--config", "-c") with the usage hint, then exits 2. */
void cli_option_error(const char *progname, const char *usage, char **argv,
    int c) __attribute__((noreturn));

/* Exits with status after flushing stdout; exits 1 instead with a message
 * when stdout could not be written (a full disk, a closed pipe). */
void cli_exit(const char *progname, int status) __attribute__((noreturn));

/* The message -t prints on success, to stdout. */
void cli_config_ok(void);

/* The program name without its directory ("foobar" for an empty or
 * missing argv[0]). */
const char *cli_basename(const char *argv0);

#endif
