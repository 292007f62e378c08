/* cgi.c - CGI scripts (RFC 3875): fork+exec per request with a clean
 * environment, the body streamed to stdin, the output parsed as a CGI
 * response and streamed back, a timeout and an output limit. */
#include "appd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgihead.h"
#include "log.h"

#define CGI_HEAD_MAX 65536
#define CGI_ENV_MAX 256

struct cgi_env {
	char *v[CGI_ENV_MAX + 1];
	size_t n;
};

static void
cgi_env_add(struct cgi_env *e, const char *name, const char *value)
{
	if (e->n < CGI_ENV_MAX && asprintf(&e->v[e->n], "%s=%s", name,
	    value) != -1)
		e->n++;
}

/* Request parameters that pass through to the script. */
static void
cgi_env_param(void *arg, const char *name, const char *value)
{
	static const char *pass[] = { "AUTH_TYPE", "CONTENT_LENGTH",
		"CONTENT_TYPE", "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST",
		"REMOTE_PORT", "REMOTE_USER", "REQUEST_METHOD", "REQUEST_URI",
		"SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
		"SERVER_SOFTWARE", "HTTPS", "REQUEST_SCHEME", NULL };
	size_t i;

	if (strncmp(name, "HTTP_", 5) == 0) {
		if (strcmp(name, "HTTP_PROXY") != 0)
			cgi_env_add(arg, name, value);
		return;
	}
	for (i = 0; pass[i] != NULL; i++)
		if (strcmp(name, pass[i]) == 0) {
			cgi_env_add(arg, name, value);
			return;
		}
}

static void
cgi_env_free(struct cgi_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
}

/* Finds the script for rel (the path after the prefix): the first
 * executable regular file along its segments. Returns 0 with the file
 * in script and the length of rel it takes in *used, -1 when none. */
static int
cgi_find_script(const char *root, const char *rel, char *script,
    size_t size, size_t *used)
{
	struct stat st;
	size_t off = 0, seg;
	int n;

	n = snprintf(script, size, "%s", root);
	while (rel[off] != '\0') {
		if (rel[off] == '/')
			off++;
		seg = strcspn(rel + off, "/");
		if (seg == 0 || rel[off] == '.')
			return -1; /* empty, ".", "..", hidden */
		if ((size_t)n + seg + 2 > size)
			return -1;
		n += snprintf(script + n, size - (size_t)n, "/%.*s", (int)seg,
		    rel + off);
		off += seg;
		if (stat(script, &st) == -1)
			return -1;
		if (S_ISREG(st.st_mode)) {
			*used = off;
			return access(script, X_OK) == 0 ? 0 : -1;
		}
		if (!S_ISDIR(st.st_mode))
			return -1;
	}
	return -1;
}

/* vfork: the worker has a large address space (libmariadb, jansson, the
 * module), and copying its page tables for every script costs more than
 * the script. The child only makes system calls until execve. */
static pid_t
cgi_spawn(const char *script, struct cgi_env *env, int *to_child,
    int *from_child)
{
	static const char fail[] = "foobar-appd: cgi: exec failed\n";
	int in[2], out[2];
	char dir[4096], *slash;
	char *argv[2];
	sigset_t all, old, none;
	struct sigaction dfl;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s", script);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir)
		*slash = '\0';
	else
		dir[0] = '\0';
	argv[0] = (char *)script;
	argv[1] = NULL;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigfillset(&all);
	sigemptyset(&none);
	if (pipe2(in, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(out, O_CLOEXEC) == -1) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	/* no handler of ours may run in the child, which shares our memory */
	sigprocmask(SIG_SETMASK, &all, &old);
	/* The child makes only system calls (as posix_spawn's own vfork
	 * child does): PR_SET_PDEATHSIG, which posix_spawn cannot set, is
	 * why it is not posix_spawn. */
	pid = vfork(); /* NOLINT(clang-analyzer-security.insecureAPI.vfork) */
	if (pid == 0) {
		setpgid(0, 0); /* NOLINT(clang-analyzer-unix.Vfork) */
		/* dies with its worker (killed for request_timeout) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigaction(SIGPIPE, &dfl, NULL);
		sigaction(SIGTERM, &dfl, NULL);
		sigaction(SIGINT, &dfl, NULL);
		sigaction(SIGHUP, &dfl, NULL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		/* nothing else of the worker: not its connections, not its
		 * MySQL socket */
		close_range(3, ~0U, 0);
		if (dir[0] != '\0' && chdir(dir) == -1)
			_exit(127);
		execve(script, argv, env->v);
		if (write(STDERR_FILENO, fail, sizeof(fail) - 1) < 0)
			_exit(127);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(in[0]);
	close(out[1]);
	if (pid == -1) {
		close(in[1]);
		close(out[0]);
		return -1;
	}
	setpgid(pid, pid);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	*to_child = in[1];
	*from_child = out[0];
	return pid;
}

/* The running script and the bytes moving through it. */
struct cgi_run {
	struct foobar_req *r;
	const struct appd_conf *conf;
	const char *script;
	pid_t pid;
	int to_child, from_child;
	char body[65536];
	size_t blen, boff;
	int body_done;
	char *head;
	size_t headlen;
	int head_sent;
	long long out_bytes;
	int error;		/* 502/504 to answer when nothing was sent */
};

/* Sends the parsed head and any body bytes that came with it. */
static int
cgi_send_head(struct cgi_run *c)
{
	struct appd_cgi_head h;
	const char *err;
	size_t end = cgihead_end(c->head, c->headlen, 0);
	char line[32];
	int n;

	if (end == 0)
		return 0;
	if (appd_cgi_head_parse(c->head, end, &h, &err) == -1) {
		log_warn("cgi %s: %s", c->script, err);
		c->error = 502;
		return -1;
	}
	n = snprintf(line, sizeof(line), "Status: %d\r\n", h.status);
	foobar_resp_status(c->r, h.status);	/* for the metrics */
	c->head_sent = 1;
	if (appd_resp_raw(c->r, line, (size_t)n) == -1 ||
	    appd_resp_raw(c->r, h.headers, h.headers_len) == -1 ||
	    appd_resp_raw(c->r, "\r\n", 2) == -1 ||
	    appd_resp_raw(c->r, c->head + end, c->headlen - end) == -1) {
		free(h.headers);
		return -1;
	}
	c->out_bytes = (long long)(c->headlen - end);
	free(h.headers);
	return 0;
}

/* Reads what the script wrote. Returns 1 at EOF, 0 to go on, -1 to
 * stop. */
static int
cgi_read_output(struct cgi_run *c)
{
	char buf[65536];
	ssize_t n;

	if (!c->head_sent) {
		n = read(c->from_child, c->head + c->headlen,
		    CGI_HEAD_MAX - c->headlen);
		if (n > 0) {
			c->headlen += (size_t)n;
			if (cgi_send_head(c) == -1)
				return -1;
			if (!c->head_sent && c->headlen == CGI_HEAD_MAX) {
				log_warn("cgi %s: header block too long",
				    c->script);
				c->error = 502;
				return -1;
			}
			return 0;
		}
	} else {
		n = read(c->from_child, buf, sizeof(buf));
		if (n > 0) {
			c->out_bytes += n;
			if (c->out_bytes > c->conf->cgi_max_output) {
				log_warn("cgi %s: output over max_output, "
				    "cut", c->script);
				return -1;
			}
			return appd_resp_raw(c->r, buf, (size_t)n) == -1 ? -1 :
			    0;
		}
	}
	if (n == 0) {
		if (!c->head_sent) {
			log_warn("cgi %s: no complete header block in its "
			    "output", c->script);
			c->error = 502;
			return -1;
		}
		return 1;
	}
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

/* Moves request body bytes into the script's stdin. */
static void
cgi_feed_body(struct cgi_run *c, int may_read)
{
	ssize_t n;

	if (may_read && c->boff == c->blen && !c->body_done) {
		n = appd_req_read(c->r, c->body, sizeof(c->body));
		if (n <= 0) {
			c->body_done = 1;
		} else {
			c->blen = (size_t)n;
			c->boff = 0;
		}
	}
	if (c->boff < c->blen && c->to_child != -1) {
		n = write(c->to_child, c->body + c->boff, c->blen - c->boff);
		if (n > 0)
			c->boff += (size_t)n;
		else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			/* the script does not read its input: drop it */
			close(c->to_child);
			c->to_child = -1;
		}
	}
	if (c->to_child != -1 && c->body_done && c->boff == c->blen) {
		close(c->to_child);
		c->to_child = -1;
	}
	if (c->to_child == -1)
		c->boff = c->blen = 0;
}

/* Runs the poll loop until the script's output ends. Returns 0, or -1
 * with c->error set when an error response is due. */
static int
cgi_loop(struct cgi_run *c)
{
	int64_t deadline = appd_now_ms() + c->conf->cgi_timeout;
	struct pollfd pfd[3];
	int n, rc, bfd, bidx, wait_ms;

	for (;;) {
		n = 0;
		pfd[n].fd = c->from_child;
		pfd[n++].events = POLLIN;
		if (c->to_child != -1 && c->boff < c->blen) {
			pfd[n].fd = c->to_child;
			pfd[n++].events = POLLOUT;
		}
		bfd = -2;
		bidx = -1;
		if (c->to_child != -1 && c->boff == c->blen && !c->body_done) {
			bfd = appd_req_body_fd(c->r);
			if (bfd >= 0) {
				bidx = n;
				pfd[n].fd = bfd;
				pfd[n++].events = POLLIN;
			}
		}
		wait_ms = (int)(deadline - appd_now_ms());
		if (wait_ms <= 0) {
			log_warn("cgi %s: timed out, killed", c->script);
			c->error = 504;
			return -1;
		}
		if (bfd == -1)
			wait_ms = 0; /* body bytes are buffered already */
		if (poll(pfd, (nfds_t)n, wait_ms) < 0 && errno != EINTR)
			return -1;
		if (c->to_child != -1)
			cgi_feed_body(c, bfd == -1 ||
			    (bidx >= 0 && pfd[bidx].revents));
		if (pfd[0].revents) {
			rc = cgi_read_output(c);
			if (rc != 0)
				return rc == 1 ? 0 : -1;
		}
	}
}

int
appd_cgi_run(struct foobar_req *r, const struct appd_conf *conf,
    const char *path)
{
	const char *rel = path + strlen(conf->cgi_prefix);
	char script[4096], sname[4096];
	struct cgi_env env = { { 0 }, 0 };
	struct cgi_run c;
	size_t used = 0;
	int status, rc;

	if (cgi_find_script(conf->cgi_root, rel, script, sizeof(script),
	    &used) == -1)
		return appd_resp_error(r, 404, "no such script");
	snprintf(sname, sizeof(sname), "%s%.*s", conf->cgi_prefix,
	    (int)used, rel);
	appd_req_each_param(r, cgi_env_param, &env);
	cgi_env_add(&env, "GATEWAY_INTERFACE", "CGI/1.1");
	cgi_env_add(&env, "SCRIPT_NAME", sname);
	cgi_env_add(&env, "SCRIPT_FILENAME", script);
	cgi_env_add(&env, "PATH_INFO", rel + used);
	cgi_env_add(&env, "REDIRECT_STATUS", "200");
	cgi_env_add(&env, "PATH", "/usr/local/bin:/usr/bin:/bin");
	if (foobar_req_param(r, "SERVER_SOFTWARE") == NULL)
		cgi_env_add(&env, "SERVER_SOFTWARE", "foobar-appd");
	if (foobar_req_param(r, "SERVER_PROTOCOL") == NULL)
		cgi_env_add(&env, "SERVER_PROTOCOL", "HTTP/1.1");
	appd_worker_shed_idle(r);
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.conf = conf;
	c.script = script;
	c.head = malloc(CGI_HEAD_MAX);
	c.pid = c.head ? cgi_spawn(script, &env, &c.to_child, &c.from_child) :
	    -1;
	cgi_env_free(&env);
	if (c.pid == -1) {
		free(c.head);
		log_err("cgi %s: %s", script, strerror(errno));
		return appd_resp_error(r, 500, "cannot run script");
	}
	rc = cgi_loop(&c);
	/* the script and anything it left behind */
	kill(-c.pid, SIGKILL);
	if (c.to_child != -1)
		close(c.to_child);
	close(c.from_child);
	waitpid(c.pid, &status, 0);
	free(c.head);
	if (rc == -1 && !c.head_sent && c.error != 0)
		return appd_resp_error(r, c.error, c.error == 504 ?
		    "script timed out" : "bad script output");
	return 0;
}
