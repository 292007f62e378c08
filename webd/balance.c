/* balance.c - which loop thread serves a new connection. Whichever loop
 * wakes for a listening socket accepts, and hands each connection to the
 * loop that holds the fewest (itself when tied): left to libmicrohttpd
 * 0.9.75, each loop's daemon kept what it accepted, and a burst of
 * connections went mostly to the loop that woke first (38/62% of wrk's 64
 * between two loops). No libmicrohttpd here: http.c gives what a loop
 * takes to its daemon, on that loop's thread. */
#include "webd.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Connections accepted per wakeup of a listening socket, at most. */
#define BALANCE_BATCH 16

struct balance_loop {
	pthread_mutex_t lock;	/* inbox */
	struct balance_conn *head, *tail;	/* handed over, not taken */
	unsigned total;		/* connections it holds or will (atomic) */
	unsigned *held;		/* of them, per listening socket (atomic) */
	int closed;		/* takes no more (atomic) */
};

struct balance {
	unsigned nloops, nsocks, limit;
	void (*wake)(void *arg, unsigned loop);
	void *arg;
	struct balance_loop *loops;
};

struct balance *
balance_new(unsigned nloops, unsigned nsocks, unsigned limit,
    void (*wake)(void *arg, unsigned loop), void *arg)
{
	struct balance *b = calloc(1, sizeof(*b));
	unsigned i;

	if (b == NULL)
		return NULL;
	b->nloops = nloops;
	b->nsocks = nsocks;
	b->limit = limit;
	b->wake = wake;
	b->arg = arg;
	if ((b->loops = calloc(nloops, sizeof(*b->loops))) == NULL) {
		free(b);
		return NULL;
	}
	for (i = 0; i < nloops; i++) {
		pthread_mutex_init(&b->loops[i].lock, NULL);
		b->loops[i].held = calloc(nsocks ? nsocks : 1, sizeof(unsigned));
		if (b->loops[i].held == NULL) {
			b->nloops = i + 1;
			balance_free(b);
			return NULL;
		}
	}
	return b;
}

void
balance_free(struct balance *b)
{
	struct balance_conn *c;
	unsigned i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nloops; i++) {
		while ((c = b->loops[i].head) != NULL) {
			b->loops[i].head = c->next;
			close(c->fd);
			free(c);
		}
		free(b->loops[i].held);
		pthread_mutex_destroy(&b->loops[i].lock);
	}
	free(b->loops);
	free(b);
}

/* The open loop with the fewest connections (self when tied) that has
 * room for one more of socket sock, or -1 when none has. */
static int
balance_pick(const struct balance *b, unsigned self, unsigned sock)
{
	unsigned i, best_total = 0;
	int best = -1;

	for (i = 0; i < b->nloops; i++) {
		const struct balance_loop *bl = &b->loops[i];
		unsigned t = __atomic_load_n(&bl->total, __ATOMIC_RELAXED);

		if (__atomic_load_n(&bl->closed, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&bl->held[sock], __ATOMIC_RELAXED) >=
		    b->limit)
			continue;
		if (best < 0 || t < best_total || (t == best_total &&
		    i == self)) {
			best = (int)i;
			best_total = t;
		}
	}
	return best;
}

/* Queues c for loop i; wakes it unless that is the caller, or its inbox
 * held something already (it was woken for that and takes all). */
static void
balance_hand(struct balance *b, unsigned self, unsigned i,
    struct balance_conn *c)
{
	struct balance_loop *bl = &b->loops[i];
	int was_empty;

	__atomic_add_fetch(&bl->total, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&bl->held[c->sock], 1, __ATOMIC_RELAXED);
	c->next = NULL;
	pthread_mutex_lock(&bl->lock);
	was_empty = bl->head == NULL;
	if (bl->tail != NULL && !was_empty)
		bl->tail->next = c;
	else
		bl->head = c;
	bl->tail = c;
	pthread_mutex_unlock(&bl->lock);
	if (i != self && was_empty)
		b->wake(b->arg, i);
}

/* Errors of accept(2) that concern one connection only. */
static int
balance_transient(int e)
{
	return e == ECONNABORTED || e == EINTR || e == EPROTO ||
	    e == EPERM || e == ENETDOWN || e == ENOPROTOOPT ||
	    e == EHOSTDOWN || e == ENONET || e == EHOSTUNREACH ||
	    e == EOPNOTSUPP || e == ENETUNREACH;
}

int
balance_accept(struct balance *b, unsigned self, unsigned sock, int lfd)
{
	unsigned n;

	for (n = 0; n < BALANCE_BATCH; n++) {
		struct balance_conn *c;
		int to = balance_pick(b, self, sock);

		if (to < 0)
			return 1;
		if ((c = malloc(sizeof(*c))) == NULL)
			return -1;
		c->alen = sizeof(c->addr);
		c->fd = accept4(lfd, (struct sockaddr *)&c->addr, &c->alen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd == -1) {
			int e = errno;

			free(c);
			if (e == EAGAIN || e == EWOULDBLOCK)
				return 0;
			if (balance_transient(e))
				continue;
			errno = e;
			return -1;
		}
		c->sock = sock;
		balance_hand(b, self, (unsigned)to, c);
	}
	return 0;
}

int
balance_take(struct balance *b, unsigned self, struct balance_conn *out)
{
	struct balance_loop *bl = &b->loops[self];
	struct balance_conn *c;

	pthread_mutex_lock(&bl->lock);
	if ((c = bl->head) != NULL) {
		bl->head = c->next;
		if (bl->head == NULL)
			bl->tail = NULL;
	}
	pthread_mutex_unlock(&bl->lock);
	if (c == NULL)
		return 0;
	*out = *c;
	out->next = NULL;
	free(c);
	return 1;
}

void
balance_closed(struct balance *b, unsigned loop, unsigned sock)
{
	__atomic_sub_fetch(&b->loops[loop].total, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&b->loops[loop].held[sock], 1, __ATOMIC_RELAXED);
}

void
balance_close_loop(struct balance *b, unsigned loop)
{
	__atomic_store_n(&b->loops[loop].closed, 1, __ATOMIC_RELAXED);
}

unsigned
balance_held(const struct balance *b, unsigned loop)
{
	return __atomic_load_n(&b->loops[loop].total, __ATOMIC_RELAXED);
}
