/* kekcache.c - unwrapped KEK versions for one rewrap or retire, pinned while in use (see
 * kekcache.h). A handful of entries: linear search is the fastest there is. */
#include "keys/kekcache.h"

#include <assert.h>
#include <string.h>

#include "common/err.h"
#include "crypt/secmem.h"

void lt_kek_cache_init(struct lt_kek_cache *c, lt_kek_load_fn load, void *load_ctx)
{
	memset(c, 0, sizeof(*c));
	c->load = load;
	c->load_ctx = load_ctx;
}

static struct lt_kek_cache_entry *cache_find(struct lt_kek_cache *c, uint32_t version)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->entry[i].version == version)
			return &c->entry[i];
	return NULL;
}

/*
 * A slot for a new version: a free one, else the least recently used entry that nobody
 * holds, wiped and freed first. NULL when every entry is pinned: freeing one of those is
 * exactly the use after free this cache exists to rule out.
 */
static struct lt_kek_cache_entry *cache_slot(struct lt_kek_cache *c)
{
	struct lt_kek_cache_entry *victim = NULL;

	if (c->n < LT_KEK_CACHE_SLOTS)
		return &c->entry[c->n++];
	for (size_t i = 0; i < c->n; i++) {
		struct lt_kek_cache_entry *e = &c->entry[i];

		if (e->pins == 0 && (!victim || e->last_use < victim->last_use))
			victim = e;
	}
	if (victim) {
		lt_secmem_free(victim->key, LT_KEY_LEN);
		memset(victim, 0, sizeof(*victim));
	}
	return victim;
}

/* Give back a slot taken by cache_slot() whose load failed (an empty slot in the middle is
 * filled by the last entry, so entries 0..n-1 stay the cached ones). */
static void cache_drop(struct lt_kek_cache *c, struct lt_kek_cache_entry *e)
{
	struct lt_kek_cache_entry *last = &c->entry[c->n - 1];

	lt_secmem_free(e->key, LT_KEY_LEN);
	if (e != last)
		*e = *last;
	memset(last, 0, sizeof(*last));
	c->n--;
}

enum lethe_err lt_kek_cache_get(struct lt_kek_cache *c, uint32_t version, const uint8_t **key)
{
	struct lt_kek_cache_entry *e;
	enum lethe_err rc;

	*key = NULL;
	e = cache_find(c, version);
	if (!e) {
		e = cache_slot(c);
		if (!e)
			return lt_err(LETHE_ERR_INTERNAL, "all %d cached KEK versions are in use",
				      LT_KEK_CACHE_SLOTS);
		e->version = version;
		e->key = lt_secmem_alloc(LT_KEY_LEN);
		if (!e->key) {
			cache_drop(c, e);
			return lt_err(LETHE_ERR_NOMEM, "KEK version %u: out of memory", version);
		}
		rc = c->load(c->load_ctx, version, e->key);
		if (rc != LETHE_OK) {
			cache_drop(c, e);
			return rc;
		}
	}
	e->pins++;
	e->last_use = ++c->clock;
	*key = e->key;
	return LETHE_OK;
}

void lt_kek_cache_release(struct lt_kek_cache *c, uint32_t version)
{
	struct lt_kek_cache_entry *e = cache_find(c, version);

	assert(e && e->pins > 0);
	if (e && e->pins > 0)
		e->pins--;
}

void lt_kek_cache_free(struct lt_kek_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		lt_secmem_free(c->entry[i].key, LT_KEY_LEN);
	memset(c->entry, 0, sizeof(c->entry));
	c->n = 0;
}
