/* master.c - the master process: owns the listening socket, forks and
 * supervises workers through a shared scoreboard, enforces
 * request_timeout, answers FCGI_OVERLOADED when every worker stays busy,
 * captures worker stderr, reloads on SIGHUP by starting a new generation
 * of workers before retiring the old one. */
#include "appd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fcgi.h"
#include "log.h"
#include "sd.h"

#define NSLOTS (APPD_MAX_WORKERS * 2)
#define RELOAD_WAIT_MS 10000

/* Master-only state per slot. */
struct mslot {
	int err_fd;		/* read end of the worker's stderr */
	int chan_fd;		/* connection hand-over, master's end */
	char line[1024];
	size_t linelen;
	int64_t spawned_ms;
	int term_sent;
	int kill_sent;		/* SIGKILL for request_timeout */
};

struct master {
	struct appd_conf *conf;
	struct appd_conf *old_conf;	/* kept while a reload is pending */
	const char *config_path;
	struct appd_board *board;
	struct mslot ms[NSLOTS];
	int listen_fd;
	int sig_fd;
	unsigned gen;
	int reloading;			/* new generation starting */
	int64_t reload_started;
	int stopping;
	int ready_sent;
	unsigned quick_deaths;
	int64_t respawn_at;
	int64_t busy_since;		/* a connection waits since */
	int64_t last_status;
	uint64_t last_requests;
	/* kept connections handed over by retiring workers, waiting for a
	 * worker that stays */
	int handover[APPD_MAX_CONNS * 4];
	unsigned nhandover;
	unsigned next_target;
};

static struct master M;

static struct appd_board *
master_board_new(void)
{
	struct appd_board *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->start_ms = (int64_t)time(NULL) * 1000;
	b->nslots = NSLOTS;
	return b;
}

static int
slot_state(unsigned i)
{
	return __atomic_load_n(&M.board->slot[i].state, __ATOMIC_ACQUIRE);
}

/* Live workers of generation gen (not retiring); busy/idle counts. */
static unsigned
master_count(unsigned gen, unsigned *ready, unsigned *busy)
{
	unsigned i, n = 0, r = 0, b = 0;

	for (i = 0; i < NSLOTS; i++) {
		struct appd_slot *s = &M.board->slot[i];
		int st = slot_state(i);

		if (st == SLOT_FREE || s->gen != gen || s->retire)
			continue;
		n++;
		if (st == SLOT_IDLE || st == SLOT_BUSY)
			r++;
		if (st == SLOT_BUSY)
			b++;
	}
	if (ready != NULL)
		*ready = r;
	if (busy != NULL)
		*busy = b;
	return n;
}

static int
master_spawn(unsigned gen, const struct appd_conf *conf)
{
	struct appd_worker_args a;
	int p[2], ch[2], devnull;
	unsigned i;
	pid_t pid;

	for (i = 0; i < NSLOTS; i++)
		if (slot_state(i) == SLOT_FREE && M.board->slot[i].pid == 0)
			break;
	if (i == NSLOTS)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_err("pipe: %s", strerror(errno));
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) == -1) {
		log_err("socketpair: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	memset(&M.board->slot[i], 0, sizeof(M.board->slot[i]));
	M.board->slot[i].gen = gen;
	M.board->slot[i].started_ms = appd_now_ms();
	__atomic_store_n(&M.board->slot[i].state, SLOT_STARTING,
	    __ATOMIC_RELEASE);
	pid = fork();
	if (pid == -1) {
		log_err("fork: %s", strerror(errno));
		M.board->slot[i].state = SLOT_FREE;
		close(p[0]);
		close(p[1]);
		close(ch[0]);
		close(ch[1]);
		return -1;
	}
	if (pid == 0) {
		/* a worker finishes its request and exits when the master
		 * dies */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(p[1], STDERR_FILENO);
		devnull = open("/dev/null", O_RDWR);
		if (devnull != -1) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		close(M.sig_fd);
		/* the master's ends of the other workers' pipes */
		for (unsigned k = 0; k < NSLOTS; k++) {
			if (M.ms[k].err_fd != -1)
				close(M.ms[k].err_fd);
			if (M.ms[k].chan_fd != -1)
				close(M.ms[k].chan_fd);
		}
		for (unsigned k = 0; k < M.nhandover; k++)
			close(M.handover[k]);
		appd_metrics_forget();
		a.conf = conf;
		a.board = M.board;
		a.slot = (int)i;
		a.listen_fd = M.listen_fd;
		a.chan_fd = ch[1];
		close(ch[0]);
		appd_worker_run(&a);
	}
	close(p[1]);
	close(ch[1]);
	M.ms[i].chan_fd = ch[0];
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	M.board->slot[i].pid = pid;
	M.ms[i].err_fd = p[0];
	M.ms[i].linelen = 0;
	M.ms[i].spawned_ms = appd_now_ms();
	M.ms[i].term_sent = 0;
	M.ms[i].kill_sent = 0;
	return 0;
}

/* Logs complete lines from a worker's stderr, prefixed with its pid. */
static void
master_read_stderr(unsigned i, int flush)
{
	struct mslot *m = &M.ms[i];
	char *nl;
	ssize_t n;

	for (;;) {
		n = read(m->err_fd, m->line + m->linelen,
		    sizeof(m->line) - 1 - m->linelen);
		if (n > 0)
			m->linelen += (size_t)n;
		while ((nl = memchr(m->line, '\n', m->linelen)) != NULL ||
		    (m->linelen == sizeof(m->line) - 1) ||
		    (flush && n <= 0 && m->linelen > 0)) {
			size_t len = nl ? (size_t)(nl - m->line) : m->linelen;
			size_t skip = 0;
			char esc[2048];

			/* the worker's own "foobar-appd: " prefix */
			if (len > 13 && memcmp(m->line, "foobar-appd: ", 13) ==
			    0)
				skip = 13;
			log_escape(esc, sizeof(esc), m->line + skip,
			    len - skip);
			log_info("worker %d: %s", (int)M.board->slot[i].pid,
			    esc);
			len += nl ? 1 : 0;
			memmove(m->line, m->line + len, m->linelen - len);
			m->linelen -= len;
		}
		if (n <= 0)
			return;
	}
}

/* Receives the connections worker i hands over. */
static void
master_take_handover(unsigned i)
{
	int fd;

	while ((fd = appd_recv_fd(M.ms[i].chan_fd)) != -1) {
		if (M.nhandover == sizeof(M.handover) / sizeof(M.handover[0]) ||
		    M.stopping)
			close(fd);
		else
			M.handover[M.nhandover++] = fd;
	}
}

/* A worker of the current generation that stays and is in one of the
 * states, from M.next_target on; NSLOTS when none. */
static unsigned
master_pick_target(int want1, int want2)
{
	unsigned k, i;
	int st;

	for (k = 0; k < NSLOTS; k++) {
		i = (M.next_target + k) % NSLOTS;
		st = slot_state(i);
		if ((st == want1 || st == want2) &&
		    M.board->slot[i].gen == M.gen &&
		    !M.board->slot[i].retire && M.ms[i].chan_fd != -1)
			return i;
	}
	return NSLOTS;
}

/* Passes waiting connections to workers of the current generation that
 * stay, idle ones first, in turn. */
static void
master_give_handover(void)
{
	unsigned i;

	while (M.nhandover > 0) {
		i = master_pick_target(SLOT_IDLE, SLOT_IDLE);
		if (i == NSLOTS)
			i = master_pick_target(SLOT_BUSY, SLOT_BUSY);
		if (i == NSLOTS)
			return; /* none yet: keep them until one is ready */
		M.next_target = i + 1;
		if (appd_send_fd(M.ms[i].chan_fd,
		    M.handover[M.nhandover - 1]) == -1)
			return;
		close(M.handover[--M.nhandover]);
	}
}

/* Counts why worker i ended, unless the whole server is stopping. */
static void
master_count_restart(unsigned i, int status)
{
	int cause;

	if (M.stopping)
		return;
	if (M.ms[i].kill_sent)
		cause = RESTART_TIMEOUT;
	else if (M.ms[i].term_sent)
		cause = RESTART_RELOAD;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		cause = RESTART_MAX_REQUESTS;
	else
		cause = RESTART_CRASH;
	M.board->restarts[cause]++;
}

static void
master_reap(void)
{
	int status;
	pid_t pid;
	unsigned i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < NSLOTS; i++)
			if (M.board->slot[i].pid == pid)
				break;
		if (i == NSLOTS)
			continue;
		struct appd_slot *s = &M.board->slot[i];
		int planned = s->retire || M.stopping ||
		    (WIFEXITED(status) && WEXITSTATUS(status) == 0);
		int was_ready = s->state != SLOT_STARTING;

		if (M.ms[i].err_fd != -1) {
			master_read_stderr(i, 1);
			close(M.ms[i].err_fd);
			M.ms[i].err_fd = -1;
		}
		if (M.ms[i].chan_fd != -1) {
			master_take_handover(i);
			close(M.ms[i].chan_fd);
			M.ms[i].chan_fd = -1;
		}
		__atomic_fetch_add(&M.board->accepted, s->requests,
		    __ATOMIC_RELAXED);
		master_count_restart(i, status);
		appd_metrics_retire(M.board, &s->m);
		if (!planned) {
			if (WIFSIGNALED(status))
				log_warn("worker %d killed by signal %d",
				    (int)pid, WTERMSIG(status));
			else
				log_warn("worker %d exited with status %d",
				    (int)pid, WEXITSTATUS(status));
			if (appd_now_ms() - M.ms[i].spawned_ms < 2000 ||
			    !was_ready)
				M.quick_deaths++;
			else
				M.quick_deaths = 0;
			if (M.quick_deaths > 0) {
				int64_t d = 100LL << (M.quick_deaths < 7 ?
				    M.quick_deaths : 7);

				M.respawn_at = appd_now_ms() +
				    (d > 10000 ? 10000 : d);
			}
		}
		if (M.reloading && s->gen == M.gen && !was_ready)
			M.reloading = -1; /* the new generation failed */
		memset(s, 0, sizeof(*s));
		__atomic_store_n(&s->state, SLOT_FREE, __ATOMIC_RELEASE);
	}
}

static void
master_retire(unsigned i)
{
	struct appd_slot *s = &M.board->slot[i];

	if (s->pid <= 0 || M.ms[i].term_sent)
		return;
	__atomic_store_n(&s->retire, 1, __ATOMIC_RELEASE);
	kill(s->pid, SIGTERM);
	M.ms[i].term_sent = 1;
}

static void
master_check_timeouts(void)
{
	int64_t now = appd_now_ms(), limit = M.conf->request_timeout;
	unsigned i;

	if (limit <= 0)
		return;
	for (i = 0; i < NSLOTS; i++) {
		struct appd_slot *s = &M.board->slot[i];

		if (slot_state(i) != SLOT_BUSY || s->pid <= 0 ||
		    M.ms[i].kill_sent)
			continue;
		if (now - __atomic_load_n(&s->busy_since_ms,
		    __ATOMIC_RELAXED) > limit) {
			log_warn("worker %d: %s %s exceeded request_timeout, "
			    "killed", (int)s->pid, s->method, s->uri);
			kill(s->pid, SIGKILL);
			M.ms[i].kill_sent = 1;
			/* not a crash: respawn at once */
			s->retire = 1;
			M.board->killed++;
		}
	}
}

/* Keeps `workers` workers of the current generation running. */
static void
master_respawn(void)
{
	unsigned n;

	if (M.stopping || appd_now_ms() < M.respawn_at)
		return;
	n = master_count(M.gen, NULL, NULL);
	while (n < (unsigned)M.conf->workers) {
		if (master_spawn(M.gen, M.conf) == -1)
			return;
		if (M.ready_sent)
			M.board->respawned++;
		n++;
	}
}

static void
master_reload(void)
{
	struct appd_conf *nc;
	char err[512];

	sdnotify_reloading();
	if (M.reloading) {
		log_warn("reload: a reload is already under way");
		return;
	}
	nc = calloc(1, sizeof(*nc));
	if (nc == NULL || appd_conf_load(nc, M.config_path, err,
	    sizeof(err)) == -1) {
		log_err("reload refused: %s", nc ? err : "out of memory");
		if (nc != NULL)
			appd_conf_free(nc);
		free(nc);
		sdnotify_ready();
		return;
	}
	if (strcmp(nc->listen, M.conf->listen) != 0)
		log_warn("reload: a new listen address needs a restart");
	log_info("reloading %s: starting %lld new workers", M.config_path,
	    nc->workers);
	M.old_conf = M.conf;
	M.conf = nc;
	M.gen++;
	M.reloading = 1;
	M.reload_started = appd_now_ms();
	M.respawn_at = 0;
	M.quick_deaths = 0;
}

/* Once every new worker is ready, retire the old generation; on failure
 * go back to it. */
static void
master_reload_progress(void)
{
	unsigned i, ready;

	if (M.reloading == 0)
		return;
	master_count(M.gen, &ready, NULL);
	if (M.reloading == 1 && ready >= (unsigned)M.conf->workers) {
		for (i = 0; i < NSLOTS; i++)
			if (slot_state(i) != SLOT_FREE &&
			    M.board->slot[i].gen != M.gen)
				master_retire(i);
		appd_conf_free(M.old_conf);
		free(M.old_conf);
		M.old_conf = NULL;
		M.reloading = 0;
		log_info("reload done");
		sdnotify_ready();
		return;
	}
	if (M.reloading == -1 ||
	    appd_now_ms() - M.reload_started > RELOAD_WAIT_MS) {
		log_err("reload failed: new workers did not start; keeping "
		    "the old ones");
		for (i = 0; i < NSLOTS; i++)
			if (slot_state(i) != SLOT_FREE &&
			    M.board->slot[i].gen == M.gen)
				master_retire(i);
		appd_conf_free(M.conf);
		free(M.conf);
		M.conf = M.old_conf;
		M.old_conf = NULL;
		M.gen--;
		M.reloading = 0;
		M.respawn_at = 0;
		sdnotify_ready();
	}
}

#define PEEK_PARAMS_MAX 16384

struct peek {
	unsigned id;
	unsigned char params[PEEK_PARAMS_MAX];
	size_t plen;
	int params_done;
	char path[256];
	char query[64];
};

/* Reads the start of the request on fd for up to 100 ms: its id and
 * params. */
static void
master_peek_request(int fd, struct peek *pk)
{
	unsigned char in[4096];
	struct fcgi_parser p;
	struct fcgi_event ev;
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t deadline = appd_now_ms() + 100;
	size_t off, take;
	ssize_t got;
	long k;

	fcgi_parser_init(&p);
	while (!pk->params_done && appd_now_ms() < deadline &&
	    poll(&pfd, 1, 20) >= 0) {
		got = read(fd, in, sizeof(in));
		if (got <= 0) {
			if (got == 0 || errno != EAGAIN)
				return;
			continue;
		}
		for (off = 0;;) {
			k = fcgi_parse(&p, in + off, (size_t)got - off, &ev);
			if (k < 0 || ev.kind == FCGI_EV_NONE)
				break;
			off += (size_t)k;
			if (ev.type == FCGI_BEGIN_REQUEST &&
			    ev.kind == FCGI_EV_RECORD)
				pk->id = ev.request_id;
			if (ev.type != FCGI_PARAMS)
				continue;
			if (ev.kind == FCGI_EV_RECORD) {
				pk->params_done |= ev.content_length == 0;
				continue;
			}
			take = ev.len < PEEK_PARAMS_MAX - pk->plen ? ev.len :
			    PEEK_PARAMS_MAX - pk->plen;
			memcpy(pk->params + pk->plen, ev.data, take);
			pk->plen += take;
		}
	}
}

static int
master_peek_param(void *arg, const struct fcgi_nv *nv)
{
	struct peek *pk = arg;
	size_t n;

	if (nv->nlen == 12 && memcmp(nv->name, "DOCUMENT_URI", 12) == 0 &&
	    nv->vlen < sizeof(pk->path)) {
		memcpy(pk->path, nv->value, nv->vlen);
		pk->path[nv->vlen] = '\0';
	} else if (nv->nlen == 11 && memcmp(nv->name, "REQUEST_URI", 11) == 0 &&
	    pk->path[0] == '\0') {
		for (n = 0; n < nv->vlen && nv->value[n] != '?' &&
		    n < sizeof(pk->path) - 1; n++)
			pk->path[n] = (char)nv->value[n];
		pk->path[n] = '\0';
	} else if (nv->nlen == 12 && memcmp(nv->name, "QUERY_STRING", 12) ==
	    0) {
		n = nv->vlen < sizeof(pk->query) - 1 ? nv->vlen :
		    sizeof(pk->query) - 1;
		memcpy(pk->query, nv->value, n);
		pk->query[n] = '\0';
	}
	return 0;
}

/* Writes a whole response (head + body as STDOUT, END_REQUEST with
 * pstatus), then closes fd without a reset. */
static void
master_answer(int fd, unsigned id, const char *head, const char *body,
    unsigned pstatus)
{
	size_t hl = strlen(head), bl = strlen(body), cap, n;
	unsigned char *out, in[4096];
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t deadline;

	cap = fcgi_stream_size(hl + bl) + 64;
	if ((out = malloc(hl + bl + cap)) == NULL) {
		close(fd);
		return;
	}
	memcpy(out + cap, head, hl);
	memcpy(out + cap + hl, body, bl);
	n = fcgi_stream_encode(out, cap, FCGI_STDOUT, id, out + cap, hl + bl);
	n += fcgi_record_encode(out + n, cap - n, FCGI_STDOUT, id, NULL, 0);
	n += fcgi_end_request_encode(out + n, id, 0, pstatus);
	if (appd_write_all(fd, out, n, 50) == 0) {
		shutdown(fd, SHUT_WR);
		/* read what the front still sends, so close sends no RST */
		deadline = appd_now_ms() + 50;
		while (appd_now_ms() < deadline && poll(&pfd, 1, 10) >= 0 &&
		    read(fd, in, sizeof(in)) != 0)
			;
	}
	free(out);
	close(fd);
}

/* Every worker is busy and a connection waits: answer it with an
 * FCGI_OVERLOADED end of request (and a 503 head for fronts that only
 * read STDOUT) - or, for the status page, with the status, so that it
 * works when every worker is busy. Bounded: at most ~150 ms. */
static void
master_overloaded(void)
{
	static const char head[] = "Status: 503 Service Unavailable\r\n"
	    "Retry-After: 1\r\nContent-Type: text/plain\r\n\r\n";
	static struct peek pk;
	const char *err;
	char *status;
	int json, fd = accept4(M.listen_fd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd == -1)
		return;
	memset(&pk, 0, sizeof(pk));
	pk.id = 1;
	master_peek_request(fd, &pk);
	fcgi_nv_each(pk.params, pk.plen, master_peek_param, &pk, &err);
	if (pk.params_done && M.conf->status_path != NULL &&
	    strcmp(pk.path, M.conf->status_path) == 0) {
		json = strstr(pk.query, "json") != NULL;
		status = appd_status_render(M.board, json);
		master_answer(fd, pk.id, json ? "Status: 200 OK\r\n"
		    "Content-Type: application/json\r\n\r\n" :
		    "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n",
		    status ? status : "", FCGI_REQUEST_COMPLETE);
		free(status);
		return;
	}
	master_answer(fd, pk.id, head, "overloaded\n", FCGI_OVERLOADED);
	M.board->overloaded++;
	log_warn("all workers busy: answered FCGI_OVERLOADED");
}

static void
master_notify_status(void)
{
	int64_t now = appd_now_ms();
	unsigned total, ready, busy, i;
	uint64_t req = M.board->accepted;
	double rate;

	if (now - M.last_status < 2000)
		return;
	for (i = 0; i < NSLOTS; i++)
		if (slot_state(i) != SLOT_FREE)
			req += M.board->slot[i].requests;
	total = master_count(M.gen, &ready, &busy);
	rate = M.last_status ? (double)(req - M.last_requests) * 1000.0 /
	    (double)(now - M.last_status) : 0;
	sdnotify_status("workers: %u, busy: %u, idle: %u, requests: %llu, "
	    "%.1f req/s", total, busy, ready - busy,
	    (unsigned long long)req, rate);
	M.last_status = now;
	M.last_requests = req;
}

/* Handles pending signals. */
static void
master_signals(void)
{
	struct signalfd_siginfo si;
	unsigned i;

	while (read(M.sig_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			break;
		case SIGHUP:
			if (!M.stopping)
				master_reload();
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			if (!M.stopping) {
				log_info("stopping: letting workers finish");
				sdnotify_stopping();
				M.stopping = 1;
				for (i = 0; i < NSLOTS; i++)
					if (slot_state(i) != SLOT_FREE)
						master_retire(i);
			}
			break;
		}
	}
	master_reap();
}

static int
master_signals_init(void)
{
	sigset_t set;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	M.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return M.sig_fd == -1 ? -1 : 0;
}

static unsigned
master_live(void)
{
	unsigned i, n = 0;

	for (i = 0; i < NSLOTS; i++)
		if (M.board->slot[i].pid > 0)
			n++;
	return n;
}

/* Whether a connection waits on the listen socket. */
static int
master_listen_pending(void)
{
	struct pollfd pfd = { M.listen_fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* All workers of the current generation busy: a connection that has
 * waited queue_timeout in the backlog gets FCGI_OVERLOADED. */
static void
master_check_overload(int all_busy)
{
	int64_t now = appd_now_ms();

	if (!all_busy) {
		M.busy_since = 0;
		return;
	}
	if (M.busy_since == 0) {
		if (master_listen_pending())
			M.busy_since = now;
		return;
	}
	if (now - M.busy_since < M.conf->queue_timeout)
		return;
	if (master_listen_pending())
		master_overloaded();
	M.busy_since = 0;
}

/* One round of the loop: poll the signals and the worker stderr pipes;
 * watch the listen socket while every worker is busy. */
static void
master_poll_once(void)
{
	struct pollfd pfd[2 * NSLOTS + 1 + APPD_METRICS_FDS];
	unsigned idx[2 * NSLOTS], n = 0, i, ready, busy, total, nw, nm;
	int all_busy, timeout = 100;

	pfd[n].fd = M.sig_fd;
	pfd[n++].events = POLLIN;
	for (i = 0; i < NSLOTS; i++) {
		if (M.board->slot[i].pid <= 0 || M.ms[i].err_fd == -1)
			continue;
		idx[n - 1] = i;
		pfd[n].fd = M.ms[i].err_fd;
		pfd[n++].events = POLLIN;
		if (M.ms[i].chan_fd != -1) {
			idx[n - 1] = i;
			pfd[n].fd = M.ms[i].chan_fd;
			pfd[n++].events = POLLIN;
		}
	}
	total = master_count(M.gen, &ready, &busy);
	all_busy = !M.stopping && !M.reloading && total > 0 &&
	    busy == total;
	if (all_busy)
		timeout = 10;
	appd_metrics_sample(M.board, M.listen_fd, busy, all_busy);
	nw = n;
	nm = appd_metrics_pollfds(pfd + n);
	if (poll(pfd, n + nm, timeout) < 0 && errno != EINTR)
		return;
	appd_metrics_events(pfd + nw, nm, M.board, M.listen_fd);
	if (pfd[0].revents)
		master_signals();
	for (i = 1; i < n; i++) {
		struct mslot *m = &M.ms[idx[i - 1]];

		if (pfd[i].revents == 0 || M.board->slot[idx[i - 1]].pid <= 0)
			continue;
		if (pfd[i].fd == m->err_fd)
			master_read_stderr(idx[i - 1], 0);
		else if (pfd[i].fd == m->chan_fd)
			master_take_handover(idx[i - 1]);
	}
	master_give_handover();
	master_check_overload(all_busy);
}

int
appd_master_run(struct appd_conf *conf, const char *config_path,
    int listen_fd)
{
	unsigned i, ready;
	int64_t stop_deadline = 0;

	M.conf = conf;
	M.config_path = config_path;
	M.listen_fd = listen_fd;
	for (i = 0; i < NSLOTS; i++)
		M.ms[i].err_fd = M.ms[i].chan_fd = -1;
	if ((M.board = master_board_new()) == NULL) {
		log_err("scoreboard: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (master_signals_init() == -1) {
		log_err("signals: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	log_info("starting %lld workers", conf->workers);
	for (;;) {
		master_respawn();
		master_poll_once();
		master_check_timeouts();
		master_reload_progress();
		if (!M.ready_sent && master_count(M.gen, &ready, NULL) > 0 &&
		    ready >= (unsigned)M.conf->workers) {
			sdnotify_ready();
			log_info("ready: %u workers", ready);
			M.ready_sent = 1;
		}
		if (M.stopping) {
			if (stop_deadline == 0)
				stop_deadline = appd_now_ms() +
				    M.conf->request_timeout + 5000;
			if (master_live() == 0)
				break;
			if (appd_now_ms() > stop_deadline)
				for (i = 0; i < NSLOTS; i++)
					if (M.board->slot[i].pid > 0)
						kill(M.board->slot[i].pid,
						    SIGKILL);
		}
		master_notify_status();
	}
	log_info("stopped");
	return EXIT_OK;
}
