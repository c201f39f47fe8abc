/* test_keys_kekcache.c - the KEK cache of rewrap and retire: a held key survives any number of
 * other versions passing through, eviction takes the least recently used key nobody holds,
 * and a cache full of held keys refuses rather than free one. (In the sanitizer build a freed
 * key is malloc memory, so reading a held key that was freed is reported by ASan too.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "keys/kekcache.h"

#define BAD_VERSION 999

struct loader {
	unsigned loads[2 * LT_KEK_CACHE_SLOTS + 8]; /* per version */
	unsigned total;
};

/* Each version's "KEK" is a pattern of its own, so a key that changed under its holder shows. */
static void pattern(uint32_t version, uint8_t out[LT_KEY_LEN])
{
	for (size_t i = 0; i < LT_KEY_LEN; i++)
		out[i] = (uint8_t) ((size_t) version * 31 + i * 7 + 1);
}

static enum lethe_err load(void *ctx, uint32_t version, uint8_t *kek)
{
	struct loader *l = ctx;

	if (version == BAD_VERSION)
		return lt_err(LETHE_ERR_INTEGRITY, "KEK version %u does not unwrap", version);
	assert_true(version < sizeof(l->loads) / sizeof(l->loads[0]));
	l->loads[version]++;
	l->total++;
	pattern(version, kek);
	return LETHE_OK;
}

static void assert_key(const uint8_t *key, uint32_t version)
{
	uint8_t want[LT_KEY_LEN];

	pattern(version, want);
	assert_memory_equal(key, want, LT_KEY_LEN);
}

static void test_hit(void **state)
{
	struct loader l = {0};
	struct lt_kek_cache c;
	const uint8_t *a, *b;

	(void) state;
	lt_kek_cache_init(&c, load, &l);
	assert_int_equal(lt_kek_cache_get(&c, 3, &a), LETHE_OK);
	assert_int_equal(lt_kek_cache_get(&c, 3, &b), LETHE_OK);
	assert_ptr_equal(a, b);
	assert_key(a, 3);
	assert_int_equal(l.loads[3], 1);
	lt_kek_cache_release(&c, 3);
	lt_kek_cache_release(&c, 3);
	assert_int_equal(lt_kek_cache_get(&c, 3, &b), LETHE_OK);
	assert_ptr_equal(a, b);
	assert_int_equal(l.loads[3], 1);
	lt_kek_cache_release(&c, 3);
	lt_kek_cache_free(&c);
}

/*
 * What rewrap does: hold the primary, then walk every older version. Twice the capacity goes
 * through the cache while the primary is held; the held key keeps its address and its bytes.
 * (The cache this replaced freed every slot when it filled, the held primary included.)
 */
static void test_evict_while_held(void **state)
{
	struct loader l = {0};
	struct lt_kek_cache c;
	const uint8_t *primary, *old, *again;
	uint32_t v, last = 2 * LT_KEK_CACHE_SLOTS + 1;

	(void) state;
	lt_kek_cache_init(&c, load, &l);
	assert_int_equal(lt_kek_cache_get(&c, 1, &primary), LETHE_OK);
	for (v = 2; v <= last; v++) {
		assert_int_equal(lt_kek_cache_get(&c, v, &old), LETHE_OK);
		assert_key(old, v);
		assert_key(primary, 1);
		lt_kek_cache_release(&c, v);
	}
	assert_true(c.n <= LT_KEK_CACHE_SLOTS);
	assert_key(primary, 1);
	/* never evicted, so never loaded again */
	assert_int_equal(lt_kek_cache_get(&c, 1, &again), LETHE_OK);
	assert_ptr_equal(again, primary);
	assert_int_equal(l.loads[1], 1);
	lt_kek_cache_release(&c, 1);
	/* the older versions did go (each was loaded once, and the early ones were evicted) */
	assert_int_equal(l.total, last);
	assert_int_equal(lt_kek_cache_get(&c, 2, &old), LETHE_OK);
	assert_int_equal(l.loads[2], 2);
	lt_kek_cache_release(&c, 2);
	lt_kek_cache_release(&c, 1);
	lt_kek_cache_free(&c);
}

/* Eviction takes the least recently used unpinned key. */
static void test_lru(void **state)
{
	struct loader l = {0};
	struct lt_kek_cache c;
	const uint8_t *k;
	uint32_t v;

	(void) state;
	lt_kek_cache_init(&c, load, &l);
	for (v = 1; v <= LT_KEK_CACHE_SLOTS; v++) {
		assert_int_equal(lt_kek_cache_get(&c, v, &k), LETHE_OK);
		lt_kek_cache_release(&c, v);
	}
	assert_int_equal(c.n, LT_KEK_CACHE_SLOTS);
	/* touch version 1: version 2 is now the least recently used */
	assert_int_equal(lt_kek_cache_get(&c, 1, &k), LETHE_OK);
	lt_kek_cache_release(&c, 1);
	assert_int_equal(lt_kek_cache_get(&c, LT_KEK_CACHE_SLOTS + 1, &k), LETHE_OK);
	lt_kek_cache_release(&c, LT_KEK_CACHE_SLOTS + 1);
	assert_int_equal(lt_kek_cache_get(&c, 1, &k), LETHE_OK);
	lt_kek_cache_release(&c, 1);
	assert_int_equal(l.loads[1], 1);
	assert_int_equal(lt_kek_cache_get(&c, 3, &k), LETHE_OK);
	lt_kek_cache_release(&c, 3);
	assert_int_equal(l.loads[3], 1);
	assert_int_equal(lt_kek_cache_get(&c, 2, &k), LETHE_OK);
	lt_kek_cache_release(&c, 2);
	assert_int_equal(l.loads[2], 2);
	lt_kek_cache_free(&c);
}

/* Every slot held: one more version is refused, and every held key is left as it was. */
static void test_all_pinned(void **state)
{
	struct loader l = {0};
	struct lt_kek_cache c;
	const uint8_t *held[LT_KEK_CACHE_SLOTS + 1], *k;
	uint32_t v;

	(void) state;
	lt_kek_cache_init(&c, load, &l);
	for (v = 1; v <= LT_KEK_CACHE_SLOTS; v++)
		assert_int_equal(lt_kek_cache_get(&c, v, &held[v]), LETHE_OK);
	assert_int_equal(lt_kek_cache_get(&c, LT_KEK_CACHE_SLOTS + 1, &k), LETHE_ERR_INTERNAL);
	assert_null(k);
	for (v = 1; v <= LT_KEK_CACHE_SLOTS; v++)
		assert_key(held[v], v);
	/* one released: its slot is the one taken */
	lt_kek_cache_release(&c, 5);
	assert_int_equal(lt_kek_cache_get(&c, LT_KEK_CACHE_SLOTS + 1, &k), LETHE_OK);
	assert_key(k, LT_KEK_CACHE_SLOTS + 1);
	for (v = 1; v <= LT_KEK_CACHE_SLOTS; v++)
		if (v != 5)
			assert_key(held[v], v);
	lt_kek_cache_free(&c);
}

/* A version that fails to load is not cached and takes nothing with it. */
static void test_load_failure(void **state)
{
	struct loader l = {0};
	struct lt_kek_cache c;
	const uint8_t *held, *k;
	uint32_t v;

	(void) state;
	lt_kek_cache_init(&c, load, &l);
	assert_int_equal(lt_kek_cache_get(&c, 1, &held), LETHE_OK);
	assert_int_equal(lt_kek_cache_get(&c, BAD_VERSION, &k), LETHE_ERR_INTEGRITY);
	assert_null(k);
	assert_int_equal(c.n, 1);
	for (v = 2; v <= LT_KEK_CACHE_SLOTS; v++) {
		assert_int_equal(lt_kek_cache_get(&c, v, &k), LETHE_OK);
		lt_kek_cache_release(&c, v);
	}
	/* full: the failing load evicts an unpinned key, then gives its slot back */
	assert_int_equal(lt_kek_cache_get(&c, BAD_VERSION, &k), LETHE_ERR_INTEGRITY);
	assert_int_equal(c.n, LT_KEK_CACHE_SLOTS - 1);
	assert_key(held, 1);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_not_equal(c.entry[i].version, BAD_VERSION);
		assert_key(c.entry[i].key, c.entry[i].version);
	}
	lt_kek_cache_release(&c, 1);
	lt_kek_cache_free(&c);
	assert_int_equal(c.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hit),          cmocka_unit_test(test_evict_while_held),
	    cmocka_unit_test(test_lru),          cmocka_unit_test(test_all_pinned),
	    cmocka_unit_test(test_load_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
