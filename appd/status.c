/* status.c - the status page (like php-fpm's pm.status_path), from the
 * scoreboard, as plain text or JSON. */
#include "appd.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct appd_totals {
	unsigned total, busy, idle, starting, exiting;
	uint64_t requests;
};

static void
appd_status_totals(const struct appd_board *b, struct appd_totals *t)
{
	unsigned i;

	t->total = t->busy = t->idle = t->starting = t->exiting = 0;
	t->requests = __atomic_load_n(&b->accepted, __ATOMIC_RELAXED);
	for (i = 0; i < b->nslots; i++) {
		const struct appd_slot *s = &b->slot[i];
		int st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

		if (st == SLOT_FREE)
			continue;
		t->total++;
		t->requests += __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
		if (st == SLOT_BUSY)
			t->busy++;
		else if (st == SLOT_IDLE)
			t->idle++;
		else if (st == SLOT_STARTING)
			t->starting++;
		else
			t->exiting++;
	}
}

char *
appd_status_render(const struct appd_board *b, int json)
{
	struct appd_totals t;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	time_t now = time(NULL);
	long long up = (long long)now - b->start_ms / 1000;
	unsigned i;
	int first = 1;

	if (f == NULL)
		return NULL;
	appd_status_totals(b, &t);
	if (!json) {
		fprintf(f, "start since: %lld\naccepted requests: %llu\n"
		    "total processes: %u\nactive processes: %u\n"
		    "idle processes: %u\nstarting processes: %u\n"
		    "exiting processes: %u\noverloaded: %llu\n"
		    "killed: %llu\nrespawned: %llu\n\n", up,
		    (unsigned long long)t.requests, t.total, t.busy, t.idle,
		    t.starting, t.exiting, (unsigned long long)b->overloaded,
		    (unsigned long long)b->killed,
		    (unsigned long long)b->respawned);
		fprintf(f, "pid state requests\n");
	} else {
		fprintf(f, "{\"start since\":%lld,\"accepted requests\":%llu,"
		    "\"total processes\":%u,\"active processes\":%u,"
		    "\"idle processes\":%u,\"starting processes\":%u,"
		    "\"exiting processes\":%u,\"overloaded\":%llu,"
		    "\"killed\":%llu,\"respawned\":%llu,\"processes\":[",
		    up, (unsigned long long)t.requests, t.total, t.busy, t.idle,
		    t.starting, t.exiting, (unsigned long long)b->overloaded,
		    (unsigned long long)b->killed,
		    (unsigned long long)b->respawned);
	}
	for (i = 0; i < b->nslots; i++) {
		static const char *names[] = { "free", "starting", "idle",
			"busy", "exiting" };
		const struct appd_slot *s = &b->slot[i];
		int st = __atomic_load_n(&s->state, __ATOMIC_RELAXED);

		if (st == SLOT_FREE || st > SLOT_EXITING)
			continue;
		if (json)
			fprintf(f, "%s{\"pid\":%d,\"state\":\"%s\","
			    "\"requests\":%llu,\"generation\":%u}",
			    first ? "" : ",", (int)s->pid, names[st],
			    (unsigned long long)s->requests, s->gen);
		else
			fprintf(f, "%d %s %llu\n", (int)s->pid, names[st],
			    (unsigned long long)s->requests);
		first = 0;
	}
	if (json)
		fprintf(f, "]}\n");
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
