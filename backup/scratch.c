/* scratch.c - a private MariaDB server for verify: its own data folder
 * and socket under a temporary folder, no networking, stopped and removed
 * afterwards. */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"

#define START_WAIT 120	/* seconds */
#define STOP_WAIT 60

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	if (remove(path) == -1 && errno != ENOENT)
		log_warn("remove %s: %s", path, strerror(errno));
	return 0;
}

void
bk_rmtree(const char *dir)
{
	if (dir != NULL)
		(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Logs the last lines of a tool's log file, for a failure. */
static void
log_tail(const char *path)
{
	char buf[2048], *line, *save;
	FILE *fp = fopen(path, "r");
	long size;
	size_t n;

	if (fp == NULL)
		return;
	if (fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >
	    (long)sizeof(buf) - 1)
		fseek(fp, size - (long)sizeof(buf) + 1, SEEK_SET);
	else
		rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		log_err("  %s", line);
}

/* --force: without it, mariadb-install-db gives up when neither the host
 * name nor localhost resolves (a container without /etc/hosts). */
static int
scratch_install(struct scratch *s, const char *user)
{
	char datadir[4200], uopt[300], logf[4200];
	char *argv[] = { "mariadb-install-db", "--no-defaults",
		"--auth-root-authentication-method=normal", "--skip-test-db",
		"--skip-name-resolve", "--force", uopt, datadir, NULL };

	snprintf(datadir, sizeof(datadir), "--datadir=%s/data", s->dir);
	snprintf(uopt, sizeof(uopt), "--user=%s", user);
	snprintf(logf, sizeof(logf), "%s/install.log", s->dir);
	if (tool_run(argv, logf) != 0) {
		log_err("scratch server: mariadb-install-db failed (is "
		    "mariadb-server installed?); the end of its output:");
		log_tail(logf);
		return -1;
	}
	return 0;
}

static int
scratch_spawn(struct scratch *s, const char *user)
{
	char datadir[4200], sock[4200], pidf[4200], errlog[4200], uopt[300];
	char *argv[] = { "mariadbd", "--no-defaults", datadir, sock,
		"--skip-networking", pidf, errlog, uopt, "--skip-log-bin",
		"--skip-name-resolve", "--innodb-buffer-pool-size=256M",
		"--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
		NULL };

	snprintf(datadir, sizeof(datadir), "--datadir=%s/data", s->dir);
	snprintf(sock, sizeof(sock), "--socket=%s/mysql.sock", s->dir);
	snprintf(pidf, sizeof(pidf), "--pid-file=%s/mariadbd.pid", s->dir);
	snprintf(errlog, sizeof(errlog), "--log-error=%s/error.log", s->dir);
	snprintf(uopt, sizeof(uopt), "--user=%s", user);
	if ((s->pid = fork()) == -1) {
		log_err("fork: %s", strerror(errno));
		return -1;
	}
	if (s->pid == 0) {
		int fd = open(errlog + 12, O_WRONLY | O_CREAT | O_APPEND,
		    0600);

		if (fd != -1 && (dup2(fd, 1) == -1 || dup2(fd, 2) == -1))
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "mariadbd: %s\n", strerror(errno));
		_exit(127);
	}
	return 0;
}

/* Waits until the server answers. 0 or -1 (logged). */
static int
scratch_wait(struct scratch *s)
{
	struct db_opts o = { s->cnf, "client", 5, 0, 0, NULL, NULL };
	char err[512];
	struct db *db;
	int i, st;

	for (i = 0; i < START_WAIT * 10; i++) {
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			log_err("scratch server: mariadbd exited; the end of "
			    "its log:");
			snprintf(err, sizeof(err), "%s/error.log", s->dir);
			log_tail(err);
			return -1;
		}
		if ((db = db_open(&o, err, sizeof(err), NULL)) != NULL) {
			db_close(db);
			return 0;
		}
		sleep_ms(100);
	}
	log_err("scratch server: not up after %d s: %s", START_WAIT, err);
	return -1;
}

int
scratch_start(struct scratch *s, const char *parent)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw ? pw->pw_name : "root";
	FILE *fp;

	memset(s, 0, sizeof(*s));
	if (asprintf(&s->dir, "%s/foobar-backup.XXXXXX", parent) == -1) {
		s->dir = NULL;
		return -1;
	}
	if (mkdtemp(s->dir) == NULL) {
		log_err("scratch server: mkdtemp %s: %s", s->dir,
		    strerror(errno));
		free(s->dir);
		s->dir = NULL;
		return -1;
	}
	if (asprintf(&s->cnf, "%s/client.cnf", s->dir) == -1) {
		s->cnf = NULL;
		goto fail;
	}
	if ((fp = fopen(s->cnf, "w")) == NULL)
		goto fail;
	fprintf(fp, "[client]\nsocket=%s/mysql.sock\nuser=root\n"
	    "default-character-set=utf8mb4\n", s->dir);
	if (fclose(fp) == EOF)
		goto fail;
	log_info("starting a scratch MariaDB server in %s", s->dir);
	if (scratch_install(s, user) == -1 || scratch_spawn(s, user) == -1 ||
	    scratch_wait(s) == -1)
		goto fail;
	return 0;
fail:
	scratch_stop(s);
	return -1;
}

void
scratch_stop(struct scratch *s)
{
	int i, st;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (i = 0; i < STOP_WAIT * 10; i++) {
			if (waitpid(s->pid, &st, WNOHANG) == s->pid)
				break;
			sleep_ms(100);
		}
		if (i == STOP_WAIT * 10) {
			kill(s->pid, SIGKILL);
			(void)waitpid(s->pid, &st, 0);
		}
	}
	s->pid = 0;
	bk_rmtree(s->dir);
	free(s->dir);
	free(s->cnf);
	s->dir = NULL;
	s->cnf = NULL;
}
