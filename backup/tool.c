/* tool.c - the child processes: mariadb-dump, the mariadb client, the
 * administrator's commands (copy_to, the restore hooks). */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define BUFSZ (128 * 1024)

/* Waits for pid. Returns its exit status, or -1 when killed (logged). */
static int
tool_wait(pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			log_err("%s: wait: %s", what, strerror(errno));
			return -1;
		}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	log_err("%s: killed by signal %d", what, WTERMSIG(st));
	return -1;
}

/* Forks argv with fd as its stdin (in) or stdout (!in), -1 for ours.
 * Returns the pid or -1 (logged). */
static pid_t
tool_spawn(char *const argv[], int fd, int in, int closefd)
{
	pid_t pid = fork();

	if (pid == -1) {
		log_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	signal(SIGPIPE, SIG_DFL);
	if (fd != -1 && dup2(fd, in ? 0 : 1) == -1)
		_exit(127);
	if (closefd != -1)
		close(closefd);
	execvp(argv[0], argv);
	fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int
tool_run(char *const argv[], const char *logfile)
{
	int fd = -1;
	pid_t pid;

	if (logfile != NULL) {
		fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0600);
		if (fd == -1) {
			log_err("%s: %s", logfile, strerror(errno));
			return -1;
		}
	}
	if ((pid = fork()) == -1) {
		log_err("fork: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (pid == 0) {
		if (fd != -1 && (dup2(fd, 1) == -1 || dup2(fd, 2) == -1))
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (fd != -1)
		close(fd);
	return tool_wait(pid, argv[0]);
}

int
tool_dump(const char *cnf, const char *db, tool_sink_fn sink, void *arg)
{
	char defaults[4096], *buf;
	char *argv[] = { "mariadb-dump", defaults, "--single-transaction",
		"--quick", "--routines", "--triggers", "--hex-blob",
		"--skip-dump-date", "--max-allowed-packet=1G", "--",
		(char *)db, NULL };
	int p[2], rc = -1, failed = 0;
	ssize_t n;
	pid_t pid;

	snprintf(defaults, sizeof(defaults), "--defaults-file=%s", cnf);
	if ((buf = malloc(BUFSZ)) == NULL || pipe2(p, O_CLOEXEC) == -1) {
		log_err("mariadb-dump: %s", strerror(errno));
		free(buf);
		return -1;
	}
	pid = tool_spawn(argv, p[1], 0, p[0]);
	close(p[1]);
	if (pid == -1)
		goto out;
	while ((n = read(p[0], buf, BUFSZ)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || sink(arg, buf, (size_t)n) == -1) {
			failed = 1;
			kill(pid, SIGTERM);
			break;
		}
	}
	rc = tool_wait(pid, "mariadb-dump");
	if (rc > 0)
		log_err("mariadb-dump exited with status %d", rc);
	rc = failed || rc != 0 ? -1 : 0;
out:
	close(p[0]);
	free(buf);
	return rc;
}

int
tool_load(const char *cnf, const char *db, struct bk_file *f)
{
	char defaults[4096], dbopt[256], err[512];
	char *argv[] = { "mariadb", defaults, "--batch",
		"--max-allowed-packet=1G", dbopt, NULL };
	int p[2], rc, sent;
	pid_t pid;

	snprintf(defaults, sizeof(defaults), "--defaults-file=%s", cnf);
	snprintf(dbopt, sizeof(dbopt), "--database=%s", db);
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_err("mariadb: pipe: %s", strerror(errno));
		return -1;
	}
	pid = tool_spawn(argv, p[0], 1, p[1]);
	close(p[0]);
	if (pid == -1) {
		close(p[1]);
		return -1;
	}
	sent = bkf_decompress(f, p[1], err, sizeof(err));
	close(p[1]);
	rc = tool_wait(pid, "mariadb");
	if (sent == -1)
		log_err("%s", err);
	if (rc > 0)
		log_err("mariadb (loading %s) exited with status %d", f->path,
		    rc);
	return sent == 0 && rc == 0 ? 0 : -1;
}

int
tool_sh(const char *what, const char *cmd, const char *arg)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, "foobar-backup",
		(char *)arg, NULL };
	int rc;
	pid_t pid;

	pid = tool_spawn(argv, -1, 0, -1);
	if (pid == -1)
		return -1;
	rc = tool_wait(pid, what);
	if (rc > 0)
		log_err("%s: \"%s\" exited with status %d", what, cmd, rc);
	return rc;
}
