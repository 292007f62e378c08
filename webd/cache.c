/* cache.c - small files kept in memory with their ready-made response.
 * An entry is used only while the file on disk is still the same one
 * (device, inode, size, mtime, ctime), so a deploy is seen at once; or,
 * with cache_valid, while that was found true less than cache_valid ago
 * (nginx's open_file_cache_valid). */
#include "webd.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_BUCKETS 4096

struct cache {
	pthread_rwlock_t lock;
	size_t max_bytes;
	size_t bytes;
	void (*resp_free)(void *);
	struct cache_entry *bucket[CACHE_BUCKETS];
};

static unsigned
cache_hash(const char *key, int gz)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	h = (h ^ (unsigned)gz) * 16777619u;
	return h & (CACHE_BUCKETS - 1);
}

struct cache *
cache_new(size_t max_bytes, void (*resp_free)(void *))
{
	struct cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (pthread_rwlock_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max_bytes = max_bytes;
	c->resp_free = resp_free;
	return c;
}

static void
cache_entry_free(struct cache *c, struct cache_entry *e)
{
	if (e->resp != NULL)
		c->resp_free(e->resp);
	if (e->resp_tls != NULL)
		c->resp_free(e->resp_tls);
	free(e->key);
	free(e);
}

/* With the write lock held. */
static void
cache_flush(struct cache *c)
{
	size_t i;

	for (i = 0; i < CACHE_BUCKETS; i++) {
		while (c->bucket[i] != NULL) {
			struct cache_entry *e = c->bucket[i];

			c->bucket[i] = e->next;
			cache_entry_free(c, e);
		}
	}
	c->bytes = 0;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	cache_flush(c);
	pthread_rwlock_destroy(&c->lock);
	free(c);
}

void
cache_rdlock(struct cache *c)
{
	pthread_rwlock_rdlock(&c->lock);
}

void
cache_unlock(struct cache *c)
{
	pthread_rwlock_unlock(&c->lock);
}

static int
cache_same_file(const struct cache_entry *e, const struct stat *st)
{
	return e->ino == st->st_ino && e->dev == st->st_dev &&
	    e->size == st->st_size &&
	    e->mtime.tv_sec == st->st_mtim.tv_sec &&
	    e->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	    e->ctime.tv_sec == st->st_ctim.tv_sec &&
	    e->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

const struct cache_entry *
cache_find(struct cache *c, const char *key, int gz, const struct stat *st)
{
	const struct cache_entry *e;

	for (e = c->bucket[cache_hash(key, gz)]; e != NULL; e = e->next)
		if (e->gz == gz && strcmp(e->key, key) == 0)
			return cache_same_file(e, st) ? e : NULL;
	return NULL;
}

const struct cache_entry *
cache_find_fresh(struct cache *c, const char *key, int gz, long long now,
    long long valid)
{
	const struct cache_entry *e;

	for (e = c->bucket[cache_hash(key, gz)]; e != NULL; e = e->next)
		if (e->gz == gz && strcmp(e->key, key) == 0)
			return now - __atomic_load_n(&e->checked,
			    __ATOMIC_RELAXED) < valid ? e : NULL;
	return NULL;
}

void
cache_checked(const struct cache_entry *e, long long now)
{
	/* under the read lock: the one field lookups write */
	__atomic_store_n(&((struct cache_entry *)(uintptr_t)e)->checked, now,
	    __ATOMIC_RELAXED);
}

int
cache_insert(struct cache *c, struct cache_entry *e)
{
	struct cache_entry **pp;
	unsigned h = cache_hash(e->key, e->gz);

	if ((size_t)e->size > c->max_bytes) {
		cache_entry_free(c, e);
		return -1;
	}
	pthread_rwlock_wrlock(&c->lock);
	for (pp = &c->bucket[h]; *pp != NULL; pp = &(*pp)->next) {
		struct cache_entry *old = *pp;

		if (old->gz == e->gz && strcmp(old->key, e->key) == 0) {
			*pp = old->next;
			c->bytes -= (size_t)old->size;
			cache_entry_free(c, old);
			break;
		}
	}
	if (c->bytes + (size_t)e->size > c->max_bytes)
		cache_flush(c);
	e->next = c->bucket[h];
	c->bucket[h] = e;
	c->bytes += (size_t)e->size;
	pthread_rwlock_unlock(&c->lock);
	return 0;
}
