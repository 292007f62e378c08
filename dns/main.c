/* main.c - foobar-dns: writes the zone file of the domain in dns.conf. */
#include "dns.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "log.h"
#include "prom.h"

#ifndef DNS_CONFIG_FILE
#define DNS_CONFIG_FILE "/etc/foobar/dns.conf"
#endif

#define DNS_ZONE_FILE_MAX (16 * 1024 * 1024)

static const char usage[] = "[-c FILE] [-o FILE] [--domain NAME] "
    "[--address IP]... [--check] [-t]";

static const char help[] =
    "Writes the DNS zone file of the domain configured in dns.conf.\n"
    "\n"
    "  -c, --config FILE   configuration (default " DNS_CONFIG_FILE ")\n"
    "  -o, --output FILE   zone file to write, - for stdout\n"
    "      --domain NAME   the zone's domain, instead of domain =\n"
    "      --address IP    an apex address, instead of address =; repeat\n"
    "      --check         build and check the zone, write nothing\n"
    "      --metrics-file FILE  node-exporter textfile, off for none\n"
    "                      (default " DNS_METRICS_FILE ")\n"
    "  -t, --test          check the configuration and exit\n"
    "  -V, --version       print the version and exit\n"
    "  -h, --help          print this help and exit\n"
    "\n"
    "Exit status: 0 done, 1 runtime failure, 2 usage error, 78 bad "
    "configuration.\n";

struct dns_opts {
	const char *prog;
	const char *config;
	int config_given;	/* -c: the file must exist */
	int config_read;	/* the file was there and was read */
	const char *output;
	const char *metrics_file;
	const char *domain;
	struct conf_list address;
	int check, test;
};

static void
dns_parse_args(int argc, char **argv, struct dns_opts *o)
{
	enum { OPT_DOMAIN = 256, OPT_ADDRESS, OPT_CHECK, OPT_METRICS };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "address", required_argument, NULL, OPT_ADDRESS },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "metrics-file", required_argument, NULL, OPT_METRICS },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:o:tVh", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			if (*optarg == '\0')
				cli_usage_error(o->prog, usage,
				    "option -c needs a file name");
			o->config = optarg;
			o->config_given = 1;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_DOMAIN:
			o->domain = optarg;
			break;
		case OPT_ADDRESS:
			if (conf_list_add(&o->address, optarg) == -1) {
				log_err("out of memory");
				exit(EXIT_RUNTIME);
			}
			break;
		case OPT_CHECK:
			o->check = 1;
			break;
		case OPT_METRICS:
			o->metrics_file = optarg;
			break;
		case 't':
			o->test = 1;
			break;
		case 'V':
			cli_print_version(o->prog);
			cli_exit(o->prog, EXIT_OK);
		case 'h':
			printf("usage: %s %s\n%s", o->prog, usage, help);
			cli_exit(o->prog, EXIT_OK);
		default:
			cli_option_error(o->prog, usage, argv, c);
		}
	}
	if (optind < argc)
		cli_usage_error(o->prog, usage, "unexpected argument \"%s\"",
		    argv[optind]);
	if (o->test && o->check)
		cli_usage_error(o->prog, usage, "-t and --check exclude each "
		    "other");
}

/* Reads the config file; a missing default file leaves the defaults. */
static void
dns_load(struct dns_opts *o, struct dns_config *cfg)
{
	char err[1024];

	if (!o->config_given && access(o->config, F_OK) == -1 &&
	    errno == ENOENT)
		return;
	if (dns_config_load(o->config, cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);	/* FILE:LINE: message */
		exit(EXIT_CONFIG);
	}
	o->config_read = 1;
}

static void
dns_apply_options(const struct dns_opts *o, struct dns_config *cfg)
{
	size_t i;

	if (o->domain != NULL) {
		free(cfg->domain);
		cfg->domain = strdup(o->domain);
	}
	if (o->output != NULL) {
		free(cfg->output);
		cfg->output = strcmp(o->output, "-") == 0 ? NULL :
		    strdup(o->output);
	}
	if (o->address.n > 0) {
		conf_list_free(&cfg->address);
		for (i = 0; i < o->address.n; i++)
			if (conf_list_add(&cfg->address, o->address.v[i]))
				break;
	}
	if ((o->domain != NULL && cfg->domain == NULL) ||
	    (o->output != NULL && strcmp(o->output, "-") != 0 &&
	    cfg->output == NULL) || cfg->address.n < o->address.n) {
		log_err("out of memory");
		exit(EXIT_RUNTIME);
	}
}

/* Prints a refusal where the user can find it: the option, or
 * FILE:LINE of the key. */
static void
dns_report(const struct dns_opts *o, const struct dns_error *e)
{
	int line = 0;

	if (e->key != NULL && ((strcmp(e->key, "domain") == 0 &&
	    o->domain != NULL) || (strcmp(e->key, "address") == 0 &&
	    o->address.n > 0))) {
		log_err("--%s: %s", e->key, e->msg);
		return;
	}
	if (!o->config_read) {
		log_err("%s (%s does not exist)", e->msg, o->config);
		return;
	}
	if (e->key != NULL)
		line = conf_key_line(o->config, "zone", e->key, e->index);
	/* as PRODUCT.md's -t prints it: the file first, no program name */
	if (line > 0)
		fprintf(stderr, "%s:%d: %s\n", o->config, line, e->msg);
	else
		fprintf(stderr, "%s: %s\n", o->config, e->msg);
}

/* Today as YYYYMMDD (UTC). FOOBAR_DNS_TODAY=YYYYMMDD overrides the
 * clock: a hook for tests. */
static uint32_t
dns_today(void)
{
	const char *env = getenv("FOOBAR_DNS_TODAY");
	time_t now = time(NULL);
	uint32_t today;
	struct tm tm;

	if (env != NULL && *env != '\0') {
		if (dns_today_parse(env, &today) == -1) {
			log_err("FOOBAR_DNS_TODAY=%s is not a date YYYYMMDD",
			    env);
			exit(EXIT_USAGE);
		}
		return today;
	}
	if (gmtime_r(&now, &tm) == NULL) {
		log_err("gmtime: %s", strerror(errno));
		exit(EXIT_RUNTIME);
	}
	return (uint32_t)(tm.tm_year + 1900) * 10000 +
	    (uint32_t)(tm.tm_mon + 1) * 100 + (uint32_t)tm.tm_mday;
}

/* Reads the zone written before. Returns 0 with *text (NULL when there
 * is none), or -1 after logging. */
static int
dns_read_old(const char *path, char **text, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	*text = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		log_err("open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > DNS_ZONE_FILE_MAX) {
		log_err("%s: not a regular zone file under 16 MiB", path);
		goto fail;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (*text == NULL) {
		log_err("%s: out of memory", path);
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, *text + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("read %s: %s", path, n ? strerror(errno) :
			    "file shrank");
			goto fail;
		}
		got += (size_t)n;
	}
	(*text)[got] = '\0';
	*len = got;
	close(fd);
	return 0;
fail:
	free(*text);
	*text = NULL;
	close(fd);
	return -1;
}

static int
dns_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Replaces path with text: a temporary file in the same directory,
 * fsync, rename, fsync of the directory. Returns 0, or -1 after
 * logging. */
static int
dns_write_atomic(const char *path, const char *text, size_t len)
{
	char *dcopy = strdup(path), *bcopy = strdup(path), *tmp = NULL;
	const char *dir, *base;
	int fd = -1, dfd, rc = -1;

	if (dcopy == NULL || bcopy == NULL)
		goto oom;
	dir = dirname(dcopy);
	base = basename(bcopy);
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) == -1) {
		tmp = NULL;
		goto oom;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd == -1) {
		log_err("create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) == -1 || dns_write_all(fd, text, len) == -1 ||
	    fsync(fd) == -1) {
		log_err("write %s: %s", tmp, strerror(errno));
		goto unlink;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_err("close %s: %s", tmp, strerror(errno));
		goto unlink;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		log_err("rename %s to %s: %s", tmp, path, strerror(errno));
		goto unlink;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
	goto out;
oom:
	log_err("out of memory");
	goto out;
unlink:
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dcopy);
	free(bcopy);
	return rc;
}

/* The node-exporter textfile after a run that wrote (or kept) the zone
 * file: its serial and last write time when known, the run's result. A
 * missing folder (no node-exporter) is no error. */
static void
dns_write_metrics(const struct dns_opts *o, const struct dns_config *cfg,
    int ok, uint32_t serial)
{
	const char *path = o->metrics_file ? o->metrics_file :
	    cfg->metrics_file ? cfg->metrics_file : DNS_METRICS_FILE;
	struct stat st;
	struct prom p;
	char err[512];

	if (strcmp(path, "off") == 0)
		return;
	prom_init(&p);
	if (ok) {
		prom_family(&p, "foobar_dns_zone_serial", "gauge",
		    "SOA serial of the zone file.");
		prom_sample(&p, "foobar_dns_zone_serial", serial, PROM_END);
	}
	if (stat(cfg->output, &st) == 0) {
		prom_family(&p, "foobar_dns_zone_last_write_timestamp_seconds",
		    "gauge", "When the zone file was last written.");
		prom_sample(&p, "foobar_dns_zone_last_write_timestamp_seconds",
		    (unsigned long long)st.st_mtime, PROM_END);
	}
	prom_family(&p, "foobar_dns_last_run_timestamp_seconds", "gauge",
	    "When foobar-dns last ran.");
	prom_sample(&p, "foobar_dns_last_run_timestamp_seconds",
	    (unsigned long long)time(NULL), PROM_END);
	prom_family(&p, "foobar_dns_last_run_success", "gauge",
	    "1 when the last run wrote or kept a valid zone, else 0.");
	prom_sample(&p, "foobar_dns_last_run_success", ok ? 1 : 0, PROM_END);
	if (p.failed)
		log_err("metrics textfile: out of memory");
	else if (prom_file_write(path, p.buf, p.len, err, sizeof(err)) == -1)
		log_info("metrics textfile not written: %s", err);
	prom_free(&p);
}

int
main(int argc, char **argv)
{
	struct dns_opts o = { 0 };
	struct dns_config cfg;
	struct dns_error e;
	char *old = NULL, *text = NULL;
	size_t oldlen = 0;
	uint32_t serial = 0;
	int changed, rc = EXIT_RUNTIME;

	o.prog = cli_basename(argc > 0 ? argv[0] : NULL);
	o.config = DNS_CONFIG_FILE;
	log_init(argv[0]);
	dns_parse_args(argc, argv, &o);
	dns_config_init(&cfg);
	dns_load(&o, &cfg);
	dns_apply_options(&o, &cfg);
	if (o.test) {
		if (dns_zone_check(&cfg, &e) == -1) {
			dns_report(&o, &e);
			rc = EXIT_CONFIG;
			goto out;
		}
		cli_config_ok();
		rc = EXIT_OK;
		goto out;
	}
	if (cfg.output != NULL && dns_read_old(cfg.output, &old, &oldlen))
		goto out;
	if (dns_zone_update(&cfg, old, oldlen, dns_today(), &text, &serial,
	    &changed, &e) == -1) {
		dns_report(&o, &e);
		rc = e.runtime ? EXIT_RUNTIME : EXIT_CONFIG;
		goto out;
	}
	if (o.check) {
		printf("%s: zone OK, %s (serial %u)\n",
		    cfg.output ? cfg.output : "stdout", changed ?
		    "would be written" : "up to date", serial);
		rc = EXIT_OK;
	} else if (cfg.output == NULL) {
		if (dns_write_all(STDOUT_FILENO, text, strlen(text)) == -1) {
			log_err("write stdout: %s", strerror(errno));
			goto out;
		}
		rc = EXIT_OK;
	} else if (!changed) {
		log_info("%s is up to date (serial %u)", cfg.output, serial);
		rc = EXIT_OK;
	} else if (dns_write_atomic(cfg.output, text, strlen(text)) == 0) {
		log_info("wrote %s (serial %u)", cfg.output, serial);
		rc = EXIT_OK;
	}
	if (!o.check && cfg.output != NULL)
		dns_write_metrics(&o, &cfg, rc == EXIT_OK, serial);
out:
	free(old);
	free(text);
	dns_config_free(&cfg);
	conf_list_free(&o.address);
	return rc;
}
