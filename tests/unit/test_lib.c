/* test_lib.c - lib/: config loading, value parsers, log escaping, CGI
 * response heads. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgihead.h"
#include "cli.h"
#include "conf.h"
#include "dbcnf.h"
#include "log.h"
#include "prom.h"
#include "unit.h"

struct t_server {
	char *root;
	struct conf_list listen;
	long long workers, max_body, timeout;
	int flag;
};

struct t_loc {
	char prefix[32];
	struct conf_list pass;
};

struct t_ctx {
	struct t_server server;
	struct t_loc loc[4];
	int nprefix;
};

static void *
t_open_server(void *ctx, const char *arg, char *err, size_t errlen)
{
	return &((struct t_ctx *)ctx)->server;
}

static void *
t_open_location(void *ctx, const char *arg, char *err, size_t errlen)
{
	struct t_ctx *c = ctx;

	if (c->nprefix == 4) {
		snprintf(err, errlen, "too many locations");
		return NULL;
	}
	snprintf(c->loc[c->nprefix].prefix, 32, "%s", arg);
	return &c->loc[c->nprefix++];
}

static const struct conf_key t_keys[] = {
	{ "root", CONF_STRING, offsetof(struct t_server, root), 0, 0, NULL },
	{ "listen", CONF_LIST, offsetof(struct t_server, listen), 0, 0, NULL },
	{ "workers", CONF_INT, offsetof(struct t_server, workers), 1, 512,
	    NULL },
	{ "max_body", CONF_SIZE, offsetof(struct t_server, max_body), 0, 0,
	    NULL },
	{ "timeout", CONF_DURATION, offsetof(struct t_server, timeout), 0, 0,
	    NULL },
	{ "flag", CONF_BOOL, offsetof(struct t_server, flag), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_key t_loc_keys[] = {
	{ "pass", CONF_LIST, offsetof(struct t_loc, pass), 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, NULL }
};

static const struct conf_section t_sections[] = {
	{ "server", 0, t_keys, t_open_server },
	{ "location", 1, t_loc_keys, t_open_location },
	{ NULL, 0, NULL, NULL }
};

static char t_path[64];

/* Writes len bytes of text to a temporary file and loads it; returns
 * conf_load's. */
static int
t_load_n(const char *text, size_t len, struct t_ctx *ctx, char *err,
    size_t errlen)
{
	FILE *f;
	int fd;

	snprintf(t_path, sizeof(t_path), "/tmp/test-conf-XXXXXX");
	fd = mkstemp(t_path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	memset(ctx, 0, sizeof(*ctx));
	return conf_load(t_path, t_sections, ctx, err, errlen);
}

static int
t_load(const char *text, struct t_ctx *ctx, char *err, size_t errlen)
{
	return t_load_n(text, strlen(text), ctx, err, errlen);
}

static void
t_done(struct t_ctx *ctx)
{
	int i;

	conf_free_fields(t_keys, &ctx->server);
	for (i = 0; i < ctx->nprefix; i++)
		conf_free_fields(t_loc_keys, &ctx->loc[i]);
	unlink(t_path);
}

START_TEST(conf_good)
{
	struct t_ctx c;
	char err[512];

	ck_assert_int_eq(t_load("; comment\n[server]\n"
				"listen = 127.0.0.1:8080\n"
				"listen = [::1]:8080 ; inline comment\n"
				"root = /srv/www\nworkers = 4\nmax_body = 1m\n"
				"timeout = 1500ms\nflag = on\n"
				"[location /api/]\npass = a\npass = b\n"
				"[location /cgi-bin/]\npass = c\n",
			     &c, err, sizeof(err)),
	    0);
	ck_assert_str_eq(c.server.root, "/srv/www");
	ck_assert_uint_eq(c.server.listen.n, 2);
	ck_assert_str_eq(c.server.listen.v[1], "[::1]:8080");
	ck_assert_int_eq(c.server.workers, 4);
	ck_assert_int_eq(c.server.max_body, 1048576);
	ck_assert_int_eq(c.server.timeout, 1500);
	ck_assert_int_eq(c.server.flag, 1);
	ck_assert_int_eq(c.nprefix, 2);
	ck_assert_str_eq(c.loc[1].prefix, "/cgi-bin/");
	ck_assert_uint_eq(c.loc[0].pass.n, 2);
	ck_assert_str_eq(c.loc[0].pass.v[1], "b");
	t_done(&c);
}
END_TEST

/* Each bad file must name the file, the line and the problem. */
START_TEST(conf_errors)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[server]\nroot = /a\nlistne = x\n",
		    ":3: unknown key \"listne\" in [server]" },
		{ "root = /a\n", ":1: key \"root\" outside a section" },
		{ "[server]\n\n[srever]\nroot = /a\n",
		    ":3: unknown section [srever]" },
		/* an empty section is checked too */
		{ "[server]\nroot = /a\n[srever]\n",
		    ":3: unknown section [srever]" },
		{ "[server]\n[location]\n", ":2: section [location] needs" },
		/* inih cuts section names at 49 bytes */
		{ "[server]\n[location /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaa/]\npass = x\n",
		    ":2: section name [location /aaaaaaaaaa" },
		/* the first error in the file wins, with its own line */
		{ "[server]\nroot\nroot = /a\nlistne = x\n",
		    ":2: syntax error" },
		{ "[server]\nlistne = x\nroot\n",
		    ":2: unknown key \"listne\" in [server]" },
		{ "[server]\nworkers = 0\n", ":2: workers: 0 is out of range" },
		{ "[server]\nworkers = four\n",
		    ":2: workers: \"four\" is not a whole number" },
		{ "[server]\nmax_body = 1q\n",
		    ":2: max_body: \"1q\" is not a size" },
		{ "[server]\nflag = maybe\n",
		    ":2: flag: \"maybe\" is not yes or no" },
		{ "[server]\nroot = /a\nroot = /b\n",
		    ":3: key \"root\" repeated in [server]" },
		{ "[location]\nx = 1\n",
		    ":1: section [location] needs an argument" },
		{ "[server]\nroot\n", ":2: syntax error" },
		{ "[server]\ntimeout = -1\n",
		    ":2: timeout: \"-1\" is not a duration" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct t_ctx c;
		char err[512];

		ck_assert_int_eq(t_load(cases[i].text, &c, err, sizeof(err)),
		    -1);
		ck_assert_msg(strncmp(err, t_path, strlen(t_path)) == 0,
		    "error does not name the file: %s", err);
		ck_assert_msg(strstr(err, cases[i].want) != NULL,
		    "case %zu: got \"%s\", want \"%s\"", i, err,
		    cases[i].want);
		t_done(&c);
	}
}
END_TEST

/* Debian's inih reads lines of at most INI_MAX_LINE - 1 bytes and parses
 * the rest of a longer line as a line of its own; conf_load refuses it. */
START_TEST(conf_long_line)
{
	struct t_ctx c;
	char err[512], *text, *xs, *p;
	size_t max;
	int line;

	text = malloc(5000);
	xs = malloc(4000);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(xs);
	memset(xs, 'x', 4000);
	/* The tail of this comment would otherwise be read as a key. */
	snprintf(text, 5000, "[server]\n;%.3000s\nflag = on\n", xs);
	ck_assert_int_eq(t_load(text, &c, err, sizeof(err)), -1);
	p = strstr(err, ":2: line too long (max ");
	ck_assert_msg(p != NULL, "got %s", err);
	max = strtoul(p + strlen(":2: line too long (max "), NULL, 10);
	ck_assert_uint_ge(max, 199);
	ck_assert_uint_lt(max, 3000);
	t_done(&c);

	/* max bytes pass, max + 1 do not, and the lines after count right */
	for (line = 0; line < 2; line++) {
		size_t n = max + (size_t)line;

		snprintf(text, 5000,
		    "[server]\nroot = %.*s\r\nflag = on\nlistne = 1\n",
		    (int)(n - strlen("root = ")), xs);
		ck_assert_int_eq(t_load(text, &c, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, line == 0 ?
		    ":4: unknown key \"listne\"" : ":2: line too long") != NULL,
		    "%zu bytes: %s", n, err);
		if (line == 0) {
			ck_assert_uint_eq(strlen(c.server.root),
			    n - strlen("root = "));
			ck_assert_int_eq(c.server.flag, 1);
		}
		t_done(&c);
	}
	free(text);
	free(xs);
}
END_TEST

START_TEST(conf_nul_byte)
{
	static const char text[] = "[server]\nroot = /a\nx\0y = 1\n";
	struct t_ctx c;
	char err[512];

	ck_assert_int_eq(t_load_n(text, sizeof(text) - 1, &c, err,
			     sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, ":3: NUL byte in line") != NULL, "got %s",
	    err);
	t_done(&c);
}
END_TEST

START_TEST(conf_sections_reopen)
{
	struct t_ctx c;
	char err[512];

	/* A repeated header opens a new instance; CRLF lines are fine. */
	ck_assert_int_eq(t_load("[location /a/]\r\npass = x\r\n"
				"[location /a/]\r\n[server]\r\nroot = /r\r\n",
			     &c, err, sizeof(err)),
	    0);
	ck_assert_int_eq(c.nprefix, 2);
	ck_assert_str_eq(c.loc[0].pass.v[0], "x");
	ck_assert_uint_eq(c.loc[1].pass.n, 0);
	ck_assert_str_eq(c.server.root, "/r");
	t_done(&c);
}
END_TEST

START_TEST(conf_key_lines)
{
	struct t_ctx c;
	char err[512];

	ck_assert_int_eq(t_load("; x\n[location /a/]\npass = 1\n[server]\n"
				"\nlisten = a\n# c\nlisten = b\n"
				"[location /b/]\npass = 2\n",
			     &c, err, sizeof(err)),
	    0);
	ck_assert_int_eq(conf_key_line(t_path, "server", "listen", 0), 6);
	ck_assert_int_eq(conf_key_line(t_path, "server", "listen", 1), 8);
	ck_assert_int_eq(conf_key_line(t_path, "server", "listen", 2), 0);
	ck_assert_int_eq(conf_key_line(t_path, "location /b/", "pass", 0),
	    10);
	ck_assert_int_eq(conf_key_line("/nonexistent", "server", "x", 0), 0);
	t_done(&c);
}
END_TEST

START_TEST(conf_missing_file)
{
	char err[256];
	struct t_ctx c = { 0 };

	ck_assert_int_eq(conf_load("/nonexistent/x.conf", t_sections, &c, err,
			     sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "/nonexistent/x.conf: No such file or directory");
}
END_TEST

START_TEST(parse_values)
{
	long long v;
	int b;
	char err[128];

	ck_assert_int_eq(conf_parse_size("64k", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 65536);
	ck_assert_int_eq(conf_parse_size("2G", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 2147483648LL);
	ck_assert_int_eq(conf_parse_size("", &v, err, sizeof(err)), -1);
	ck_assert_int_eq(conf_parse_size("99999999999999999g", &v, err,
			     sizeof(err)),
	    -1);
	ck_assert_int_eq(conf_parse_duration("30", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 30000);
	ck_assert_int_eq(conf_parse_duration("2m", &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, 120000);
	ck_assert_int_eq(conf_parse_bool("Yes", &b, err, sizeof(err)), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(conf_parse_bool("off", &b, err, sizeof(err)), 0);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(conf_parse_int("12x", 0, 0, &v, err, sizeof(err)),
	    -1);
}
END_TEST

/* The checked number parser that cluster/ also reads numbers with. */
START_TEST(parse_int)
{
	long long v = 7;
	char err[128];

	ck_assert_int_eq(conf_parse_int("42", 1, 100, &v, err, sizeof(err)),
	    0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(conf_parse_int("-1", -1, LLONG_MAX, &v, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(conf_parse_int("9223372036854775807", -1, LLONG_MAX,
	    &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, LLONG_MAX);
	/* min 0, max 0: any whole number */
	ck_assert_int_eq(conf_parse_int("-5", 0, 0, &v, err, sizeof(err)), 0);
	ck_assert_int_eq(v, -5);
	v = 7;
	ck_assert_int_eq(conf_parse_int("", 0, 10, &v, err, sizeof(err)), -1);
	ck_assert_int_eq(conf_parse_int("-", 0, 10, &v, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(conf_parse_int("3 ", 0, 10, &v, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(conf_parse_int("3,0-1-3", 0, 10, &v, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(conf_parse_int("9223372036854775808", 0, 0, &v, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(conf_parse_int("-9223372036854775809", 0, 0, &v,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(conf_parse_int("11", 0, 10, &v, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "11 is out of range (0 to 10)");
	ck_assert_int_eq(conf_parse_int("-2", -1, 10, &v, err, sizeof(err)),
	    -1);
	/* a failure leaves out alone */
	ck_assert_int_eq(v, 7);
}
END_TEST

START_TEST(escape)
{
	char out[64];

	ck_assert_uint_eq(log_escape(out, sizeof(out), "a\nb\"c\\\x7f", 7),
	    19);
	ck_assert_str_eq(out, "a\\x0ab\\x22c\\x5c\\x7f");
	/* Truncates at a whole escape, always terminated. */
	ck_assert_uint_eq(log_escape(out, 6, "ab\x01", 3), 2);
	ck_assert_str_eq(out, "ab");
}
END_TEST

/* Reads the whole of fd (from its start) into buf; returns the length. */
static size_t
t_slurp(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	while (n + 1 < len && (r = read(fd, buf + n, len - n - 1)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

/* Runs cli_parse_daemon on argv in a child with stdout and stderr in
 * temporary files (stdout: /dev/full when full is set); returns the exit
 * status. A parse that returns prints "config=C test=T" and exits 100. */
static int
t_cli(char **argv, int full, char *out, char *err, size_t len)
{
	char po[] = "/tmp/test-cli-XXXXXX", pe[] = "/tmp/test-cli-XXXXXX";
	int fo = mkstemp(po), fe = mkstemp(pe), status, argc = 0;
	pid_t pid;

	ck_assert_int_ge(fo, 0);
	ck_assert_int_ge(fe, 0);
	unlink(po);
	unlink(pe);
	while (argv[argc] != NULL)
		argc++;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct cli_opts o = { "default.conf", 0 };

		if (full) {
			close(fo);
			fo = open("/dev/full", O_WRONLY);
		}
		dup2(fo, STDOUT_FILENO);
		dup2(fe, STDERR_FILENO);
		cli_parse_daemon(argc, argv, "[-t] [-c FILE]", "HELP\n", &o);
		printf("config=%s test=%d\n", o.config, o.test);
		fflush(stdout);
		_exit(100);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	t_slurp(fo, out, len);
	t_slurp(fe, err, len);
	close(fo);
	close(fe);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* PRODUCT.md §4: -c FILE, -t, -V, -h; exit 2 for usage errors. */
START_TEST(cli_daemon)
{
	static const struct {
		const char *args[5];
		int full, status;
		const char *out, *err;
	} cases[] = {
		{ { "/usr/sbin/d", NULL }, 0, 100,
		    "config=default.conf test=0\n", "" },
		{ { "d", "-t", "-c", "/x.conf", NULL }, 0, 100,
		    "config=/x.conf test=1\n", "" },
		{ { "d", "--test", "--config=/y", NULL }, 0, 100,
		    "config=/y test=1\n", "" },
		{ { "d", "-V", NULL }, 0, 0, "d " FOOBAR_VERSION "\n", "" },
		{ { "d", "--version", NULL }, 0, 0, "d " FOOBAR_VERSION "\n",
		    "" },
		{ { "d", "-h", NULL }, 0, 0, "usage: d [-t] [-c FILE]\nHELP\n",
		    "" },
		{ { "d", "-V", NULL }, 1, 1, "",
		    "d: write error on standard output\n" },
		{ { "d", "-c", NULL }, 0, 2, "",
		    "d: option -c needs a value\nusage: d [-t] [-c FILE]\n" },
		{ { "d", "--config", NULL }, 0, 2, "",
		    "d: option --config needs a value\n"
		    "usage: d [-t] [-c FILE]\n" },
		{ { "d", "-c", "", NULL }, 0, 2, "",
		    "d: option -c needs a file name\n"
		    "usage: d [-t] [-c FILE]\n" },
		{ { "d", "-tx", NULL }, 0, 2, "",
		    "d: unknown option -x\nusage: d [-t] [-c FILE]\n" },
		{ { "d", "--tset", NULL }, 0, 2, "",
		    "d: unknown option --tset\nusage: d [-t] [-c FILE]\n" },
		{ { "d", "--test=yes", NULL }, 0, 2, "",
		    "d: option --test takes no value\n"
		    "usage: d [-t] [-c FILE]\n" },
		{ { "d", "-t", "extra", NULL }, 0, 2, "",
		    "d: unexpected argument \"extra\"\n"
		    "usage: d [-t] [-c FILE]\n" },
		{ { "", "-x", NULL }, 0, 2, "",
		    "foobar: unknown option -x\n"
		    "usage: foobar [-t] [-c FILE]\n" },
	};
	char out[512], err[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = t_cli((char **)cases[i].args, cases[i].full, out, err,
		    sizeof(out));

		ck_assert_msg(st == cases[i].status, "case %zu: exit %d", i,
		    st);
		ck_assert_msg(strcmp(out, cases[i].out) == 0,
		    "case %zu: stdout \"%s\"", i, out);
		ck_assert_msg(strcmp(err, cases[i].err) == 0,
		    "case %zu: stderr \"%s\"", i, err);
	}
}
END_TEST

/* Runs log_msg with stderr in a temporary file; returns what it wrote. */
static void
t_log(const char *progname, int journal, char *out, size_t len,
    enum log_prio prio, const char *msg)
{
	char path[] = "/tmp/test-log-XXXXXX", js[64];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct stat st;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	unlink(path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	snprintf(js, sizeof(js), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	if (journal)
		setenv("JOURNAL_STREAM", js, 1);
	else
		unsetenv("JOURNAL_STREAM");
	dup2(fd, STDERR_FILENO);
	log_init(progname);
	errno = EBADF;
	log_msg(prio, "%s", msg);
	ck_assert_int_eq(errno, EBADF);
	dup2(saved, STDERR_FILENO);
	close(saved);
	t_slurp(fd, out, len);
	close(fd);
	unsetenv("JOURNAL_STREAM");
}

START_TEST(log_lines)
{
	char out[4096], *big;

	t_log("/usr/sbin/foobar-x", 0, out, sizeof(out), LOG_PRIO_ERR,
	    "open a: failed");
	ck_assert_str_eq(out, "foobar-x: open a: failed\n");
	/* under the journal: a priority prefix, no name */
	t_log("x", 1, out, sizeof(out), LOG_PRIO_WARNING, "w");
	ck_assert_str_eq(out, "<4>w\n");
	/* one message is one line */
	t_log("x", 1, out, sizeof(out), LOG_PRIO_ERR, "a\nb\r\n");
	ck_assert_str_eq(out, "<3>a b  \n");
	/* below the level: nothing */
	log_set_level(LOG_PRIO_WARNING);
	t_log("x", 0, out, sizeof(out), LOG_PRIO_INFO, "quiet");
	ck_assert_str_eq(out, "");
	log_set_level(LOG_PRIO_INFO);
	/* a huge name or message is cut, still one line */
	big = malloc(5000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'n', 4999);
	big[4999] = '\0';
	t_log(big, 0, out, sizeof(out), LOG_PRIO_ERR, big);
	ck_assert_uint_eq(strlen(out), 2047);
	ck_assert(strncmp(out + 100, ": nnn", 5) == 0);
	ck_assert_int_eq(out[2046], '\n');
	free(big);
	log_init("");	/* keeps the last name */
}
END_TEST

START_TEST(cgihead_ends)
{
	static const char *split[] = {
		"AB: c\nde\n\nbody", "AB: c\r\nde\r\n\r\nbody",
		"A: b\n\r\nbody", "\r\nbody", "\nbody", NULL
	};
	size_t i, len, end, from;

	ck_assert_uint_eq(cgihead_end("A: b\r\n\r\nbody", 12, 0), 8);
	ck_assert_uint_eq(cgihead_end("A: b\n\nbody", 10, 0), 6);
	ck_assert_uint_eq(cgihead_end("A: b\r\n", 6, 0), 0);
	ck_assert_uint_eq(cgihead_end("A: b\n", 5, 0), 0);
	ck_assert_uint_eq(cgihead_end("A: b\r\r\n", 7, 0), 0);
	ck_assert_uint_eq(cgihead_end("", 0, 0), 0);
	/* an empty head */
	ck_assert_uint_eq(cgihead_end("\r\nbody", 6, 0), 2);
	ck_assert_uint_eq(cgihead_end("\nbody", 5, 0), 1);
	ck_assert_uint_eq(cgihead_end("\r\n\r\nbody", 8, 0), 2);
	/* a search resumed at any byte finds the same end, and no blank
	 * line where the old bytes end just after a line end ("\nde") */
	for (i = 0; split[i] != NULL; i++) {
		len = strlen(split[i]);
		end = cgihead_end(split[i], len, 0);
		ck_assert_uint_gt(end, 0);
		for (from = 0; from <= len; from++)
			if (cgihead_end(split[i], from, 0) == 0)
				ck_assert_uint_eq(cgihead_end(split[i], len,
				    from), end);
	}
}
END_TEST

/* The fields cgihead_next() reads in head: "[name=value]" each, "!" for
 * a malformed line. */
static void
t_cgihead(const char *head, size_t len, char *out, size_t outlen)
{
	struct cgihead_field f;
	const char *err;
	size_t off = 0, n = 0;
	int r;

	out[0] = '\0';
	while ((r = cgihead_next(head, len, &off, &f, &err)) != 0 &&
	    n < outlen)
		n += (size_t)(r == -1 ? snprintf(out + n, outlen - n, "!") :
		    snprintf(out + n, outlen - n, "[%.*s=%.*s]",
		    (int)f.name_len, f.name, (int)f.value_len, f.value));
}

START_TEST(cgihead_fields)
{
	static const char head[] = "Status: 404 Not Found\r\n"
	    "Content-Type:text/plain \r\nX-Empty:\nbad line\n"
	    "Bad Name: x\n: novalue\nX-Cr: a\rb\nX-Nul: a\0b\n"
	    "X-Tab:\t a b\t\r\nLocation: /a\r\n\r\nAfter: blank\n";
	char out[256];

	t_cgihead(head, sizeof(head) - 1, out, sizeof(out));
	ck_assert_str_eq(out, "[Status=404 Not Found][Content-Type=text/plain]"
	    "[X-Empty=]!!!!![X-Tab=a b][Location=/a]");
	/* the end of the bytes ends the head too, a last line without LF
	 * included */
	t_cgihead("A: b\nC: d", 9, out, sizeof(out));
	ck_assert_str_eq(out, "[A=b][C=d]");
	t_cgihead("A: b\r", 5, out, sizeof(out));
	ck_assert_str_eq(out, "[A=b]");
	t_cgihead("", 0, out, sizeof(out));
	ck_assert_str_eq(out, "");
	t_cgihead("\r\nA: b\n", 7, out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(prom_text)
{
	struct prom p;

	prom_init(&p);
	prom_family(&p, "foobar_x_total", "counter", "Back\\slash and\nnewline.");
	prom_sample(&p, "foobar_x_total", 18446744073709551615ULL,
	    "code_class", "2xx", "location", "a\"b\\c\nd", PROM_END);
	prom_sample(&p, "foobar_x_total", 0, PROM_END);
	prom_family(&p, "foobar_g", "gauge", "A gauge.");
	prom_sample_double(&p, "foobar_g", 0.1, NULL, NULL);
	prom_sample_double(&p, "foobar_g", 1.0 / 0.0, "k", "inf");
	prom_sample_double(&p, "foobar_g", -1.0 / 0.0, "k", "-inf");
	prom_sample_double(&p, "foobar_g", 0.0 / 0.0, "k", "nan");
	ck_assert(!p.failed);
	ck_assert_str_eq(p.buf,
	    "# HELP foobar_x_total Back\\\\slash and\\nnewline.\n"
	    "# TYPE foobar_x_total counter\n"
	    "foobar_x_total{code_class=\"2xx\",location=\"a\\\"b\\\\c\\nd\"} "
	    "18446744073709551615\n"
	    "foobar_x_total 0\n"
	    "# HELP foobar_g A gauge.\n# TYPE foobar_g gauge\n"
	    "foobar_g 0.1\nfoobar_g{k=\"inf\"} +Inf\n"
	    "foobar_g{k=\"-inf\"} -Inf\nfoobar_g{k=\"nan\"} NaN\n");
	ck_assert_uint_eq(p.len, strlen(p.buf));
	prom_free(&p);
}
END_TEST

START_TEST(prom_hist)
{
	struct prom_hist h, h2;
	struct prom p;
	char *line;

	ck_assert_uint_eq(prom_bucket(0), 0);
	ck_assert_uint_eq(prom_bucket(500), 0);
	ck_assert_uint_eq(prom_bucket(501), 1);
	ck_assert_uint_eq(prom_bucket(10000000), PROM_NBUCKETS - 1);
	ck_assert_uint_eq(prom_bucket(10000001), PROM_NBUCKETS);
	memset(&h, 0, sizeof(h));
	h.bucket[prom_bucket(400)]++;
	h.bucket[prom_bucket(3000)] += 2;
	h.bucket[prom_bucket(20000000)]++;
	h.sum_us = 400 + 6000 + 20000000;
	h2 = h;
	prom_hist_add(&h2, &h);
	prom_init(&p);
	prom_histogram(&p, "foobar_d_seconds", &h2, NULL, NULL);
	ck_assert(!p.failed);
	ck_assert_ptr_nonnull(strstr(p.buf,
	    "foobar_d_seconds_bucket{le=\"0.0005\"} 2\n"
	    "foobar_d_seconds_bucket{le=\"0.001\"} 2\n"
	    "foobar_d_seconds_bucket{le=\"0.0025\"} 2\n"
	    "foobar_d_seconds_bucket{le=\"0.005\"} 6\n"));
	ck_assert_ptr_nonnull(strstr(p.buf,
	    "foobar_d_seconds_bucket{le=\"10\"} 6\n"
	    "foobar_d_seconds_bucket{le=\"+Inf\"} 8\n"
	    "foobar_d_seconds_sum 40.0128\n"
	    "foobar_d_seconds_count 8\n"));
	prom_free(&p);
	prom_init(&p);
	prom_histogram(&p, "foobar_d_seconds", &h, "pool", "www");
	line = strstr(p.buf, "foobar_d_seconds_bucket{pool=\"www\",le=\"+Inf\"} 4\n");
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_nonnull(strstr(p.buf,
	    "foobar_d_seconds_count{pool=\"www\"} 4\n"));
	prom_free(&p);
}
END_TEST

static int
t_req(const char *s, char *path, int *head)
{
	return prom_http_request(s, strlen(s), path, 16, head);
}

START_TEST(prom_request)
{
	char path[16];
	int head = -1;

	ck_assert_int_eq(t_req("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    path, &head), 1);
	ck_assert_str_eq(path, "/metrics");
	ck_assert_int_eq(head, 0);
	ck_assert_int_eq(t_req("HEAD /m?x=1 HTTP/1.0\n\n", path, &head), 1);
	ck_assert_str_eq(path, "/m");
	ck_assert_int_eq(head, 1);
	ck_assert_int_eq(t_req("GET /metrics HTTP/1.1\r\nHost: x\r\n", path,
	    &head), 0);
	ck_assert_int_eq(t_req("", path, &head), 0);
	ck_assert_int_eq(t_req("POST /metrics HTTP/1.1\r\n\r\n", path, &head),
	    -1);
	ck_assert_int_eq(t_req("GET metrics HTTP/1.1\r\n\r\n", path, &head),
	    -1);
	ck_assert_int_eq(t_req("GET /metrics HTTP/2.0\r\n\r\n", path, &head),
	    -1);
	ck_assert_int_eq(t_req("GET /metrics\r\n\r\n", path, &head), -1);
	ck_assert_int_eq(t_req("GET /0123456789abcdef HTTP/1.1\r\n\r\n", path,
	    &head), -1);
	ck_assert_int_eq(prom_http_request("GET /\0 HTTP/1.1\r\n\r\n", 19,
	    path, 16, &head), -1);
}
END_TEST

START_TEST(prom_textfile)
{
	char dir[] = "/tmp/test-prom-XXXXXX", path[128], err[256], buf[64];
	struct stat st;
	ssize_t n;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.prom", dir);
	ck_assert_int_eq(prom_file_write(path, "a 1\n", 4, err, sizeof(err)),
	    0);
	ck_assert_int_eq(prom_file_write(path, "b 2\n", 4, err, sizeof(err)),
	    0);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, 4);
	ck_assert(memcmp(buf, "b 2\n", 4) == 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	unlink(path);
	rmdir(dir);
	/* a missing folder: node-exporter is not there, nothing written */
	ck_assert_int_eq(prom_file_write(path, "c 3\n", 4, err, sizeof(err)),
	    1);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* a path through a file: an error */
	ck_assert_int_eq(prom_file_write("/dev/null/x.prom", "c 3\n", 4, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/dev/null/x.prom"));
}
END_TEST

/* What an option file says about the account and the way to the server:
 * foobar-backup's user = root applies over the Unix socket only. */
START_TEST(dbcnf_modes)
{
	struct dbcnf f;

	/* the appliance's db.cnf: the Unix socket */
	ck_assert_int_eq(dbcnf_parse("[foobar]\ndatabase=foobar\nuser=foobar"
	    "\n", "foobar", &f), 0);
	ck_assert_str_eq(f.database, "foobar");
	ck_assert_str_eq(f.user, "foobar");
	ck_assert_int_eq(f.tcp, 0);
	ck_assert_int_eq(f.password, 0);
	/* a web host of several servers: TCP, a password, quotes off */
	ck_assert_int_eq(dbcnf_parse("# c\n[foobar]\nhost=127.0.0.1\nport="
	    "3306\nuser=\"foobar\"\npassword=x\n", "foobar", &f), 0);
	ck_assert_int_eq(f.tcp, 1);
	ck_assert_int_eq(f.password, 1);
	ck_assert_str_eq(f.user, "foobar");
	/* localhost is the socket, unless protocol says tcp */
	dbcnf_parse("[client]\nhost=localhost\n", "foobar", &f);
	ck_assert_int_eq(f.tcp, 0);
	dbcnf_parse("[client]\nhost=localhost\nprotocol=TCP\n", "foobar", &f);
	ck_assert_int_eq(f.tcp, 1);
	dbcnf_parse("[client]\nhost=db1\n[foobar]\nprotocol=socket\n",
	    "foobar", &f);
	ck_assert_int_eq(f.tcp, 0);
	/* other programs' groups and bare options are passed over */
	dbcnf_parse("[mysqld]\nhost=db1\nuser=mysql\n[client-mariadb]\n"
	    "skip-ssl\nuser=u\n", "foobar", &f);
	ck_assert_int_eq(f.tcp, 0);
	ck_assert_str_eq(f.user, "u");
	/* later lines win; a file that is not there is an error */
	dbcnf_parse("[client]\nhost=db1\n[foobar]\nhost=localhost\n",
	    "foobar", &f);
	ck_assert_int_eq(f.tcp, 0);
	ck_assert_int_eq(dbcnf_read("/nonexistent/db.cnf", "foobar", &f), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lib");
	TCase *tc = tcase_create("lib");

	tcase_add_test(tc, conf_good);
	tcase_add_test(tc, conf_errors);
	tcase_add_test(tc, conf_long_line);
	tcase_add_test(tc, conf_nul_byte);
	tcase_add_test(tc, conf_sections_reopen);
	tcase_add_test(tc, conf_key_lines);
	tcase_add_test(tc, conf_missing_file);
	tcase_add_test(tc, parse_values);
	tcase_add_test(tc, parse_int);
	tcase_add_test(tc, escape);
	tcase_add_test(tc, log_lines);
	tcase_add_test(tc, cgihead_ends);
	tcase_add_test(tc, cgihead_fields);
	tcase_add_test(tc, prom_text);
	tcase_add_test(tc, prom_hist);
	tcase_add_test(tc, prom_request);
	tcase_add_test(tc, prom_textfile);
	tcase_add_test(tc, dbcnf_modes);
	suite_add_tcase(s, tc);
	/* one child process per case: slow under ASan, whose leak check
	 * runs at each child's exit */
	tc = tcase_create("cli");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cli_daemon);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
