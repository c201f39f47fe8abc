/* kekcache.h - unwrapped KEK versions kept for the length of one operation that touches many
 * data keys (rewrap, retire), so that each version is unwrapped once, not once per data key.
 *
 * A key handed out by lt_kek_cache_get() is pinned: it keeps its address and its bytes until
 * the matching lt_kek_cache_release(), however many other versions are loaded meanwhile. Only
 * unpinned entries are evicted (the least recently used first), and a full cache of pinned
 * entries refuses a new version rather than free one. Every entry is its own lt_secmem buffer,
 * so a key used after its release is a use after free that the sanitizer build reports.
 */
#ifndef LT_KEYS_KEKCACHE_H
#define LT_KEYS_KEKCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "crypt/prim.h"
#include "include/lethe.h"
#include "keys/keystore.h"

/* Every version a keystore can hold at once: a rewrap or retire never evicts in practice. */
#define LT_KEK_CACHE_SLOTS LT_KEYSTORE_KEKS_MAX

/* Unwrap KEK @p version into @p kek (a secure buffer of LT_KEY_LEN bytes). */
typedef enum lethe_err (*lt_kek_load_fn)(void *ctx, uint32_t version, uint8_t *kek);

struct lt_kek_cache_entry {
	uint32_t version;
	uint8_t *key;      /* lt_secmem, LT_KEY_LEN bytes */
	unsigned pins;     /* lt_kek_cache_get() calls not yet released */
	uint64_t last_use; /* for eviction: the cache's clock at the last get */
};

struct lt_kek_cache {
	struct lt_kek_cache_entry entry[LT_KEK_CACHE_SLOTS];
	size_t n;
	uint64_t clock;
	lt_kek_load_fn load;
	void *load_ctx;
};

/* An empty cache that loads missing versions through @p load. */
void lt_kek_cache_init(struct lt_kek_cache *c, lt_kek_load_fn load, void *load_ctx);

/*
 * KEK @p version, loaded if it is not cached, pinned until lt_kek_cache_release(). *key is
 * valid only on success. Returns what the loader returned, LETHE_ERR_NOMEM, or
 * LETHE_ERR_INTERNAL when every slot is pinned (a caller holding too many keys at once).
 */
enum lethe_err lt_kek_cache_get(struct lt_kek_cache *c, uint32_t version, const uint8_t **key);

/* Unpin one lt_kek_cache_get() of @p version; the key stays cached until evicted. */
void lt_kek_cache_release(struct lt_kek_cache *c, uint32_t version);

/* Wipe and free every entry (pinned or not: the operation is over). */
void lt_kek_cache_free(struct lt_kek_cache *c);

#endif
