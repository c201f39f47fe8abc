/* keys_fixture.h - what the unit tests of keys/ (test_keys_*.c) share: a fresh directory per
 * test, a keystore made in it, a metadata database, the KEK ring over both, and the helpers
 * that rotate and add objects under the primary.
 *
 * Each setup does a step more than the one before; keys_teardown undoes whatever was done:
 *   keys_setup_dir       the directory, the file names in it, a service key
 *   keys_setup_keystore  + keystore.luks (officer "alice", KEYS_OFFICER_PASS): mk, store_id
 *   keys_setup_db        the directory and meta.db only (no keystore)
 *   keys_setup_ring      + keystore, meta.db, the KEK wrapping key and the ring
 */
#ifndef LT_TEST_KEYS_FIXTURE_H
#define LT_TEST_KEYS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "keys/kekring.h"
#include "keys/keystore.h"
#include "keys/wrap.h"
#include "store/db.h"

/* Argon2id at libcryptsetup's floor, so tests run in milliseconds. */
static const struct lt_kdf_params tiny_kdf = {.memory_kib = 32, .time_cost = 4, .parallel = 1};

#define KEYS_OFFICER_PASS "correct horse battery staple"

struct keys_fixture {
	char dir[256];
	char keystore[300]; /* DIR/keystore.luks */
	char keyfile[300];  /* DIR/service.key */
	uint8_t service_key[32];
	uint8_t mk[LT_MK_LEN];
	char store_id[LETHE_ID_LEN + 1];
	uint8_t wrap_key[LT_KEY_LEN];
	struct lt_db *db;
	struct lt_kek_ring ring;
};

static inline int keys_setup_dir(void **state)
{
	struct keys_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	snprintf(f->dir, sizeof(f->dir), "/tmp/lethe-keys-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->keystore, sizeof(f->keystore), "%s/keystore.luks", f->dir);
	snprintf(f->keyfile, sizeof(f->keyfile), "%s/service.key", f->dir);
	for (size_t i = 0; i < sizeof(f->service_key); i++)
		f->service_key[i] = (uint8_t) (0xa5 ^ i);
	return 0;
}

static inline int keys_setup_keystore(void **state)
{
	struct keys_fixture *f;

	if (keys_setup_dir(state) != 0)
		return -1;
	f = *state;
	if (lt_keystore_create(f->keystore, f->service_key, "alice", KEYS_OFFICER_PASS,
			       strlen(KEYS_OFFICER_PASS), &tiny_kdf, f->mk,
			       f->store_id) != LETHE_OK) {
		fprintf(stderr, "setup: %s\n", lt_err_detail());
		return -1;
	}
	return 0;
}

static inline int keys_open_db(struct keys_fixture *f)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/meta.db", f->dir);
	if (lt_db_open(path, true, &f->db) != LETHE_OK) {
		fprintf(stderr, "setup: %s\n", lt_err_detail());
		return -1;
	}
	return 0;
}

static inline int keys_setup_db(void **state)
{
	if (keys_setup_dir(state) != 0)
		return -1;
	return keys_open_db(*state);
}

static inline int keys_setup_ring(void **state)
{
	struct keys_fixture *f;

	if (keys_setup_keystore(state) != 0)
		return -1;
	f = *state;
	if (lt_mk_derive(f->mk, f->store_id, LT_MK_KEK_WRAP, f->wrap_key) != LETHE_OK) {
		fprintf(stderr, "setup: %s\n", lt_err_detail());
		return -1;
	}
	if (keys_open_db(f) != 0)
		return -1;
	lt_kek_ring_init(&f->ring, f->keystore, f->store_id, f->wrap_key);
	return 0;
}

static inline int keys_teardown(void **state)
{
	struct keys_fixture *f = *state;
	char cmd[300];

	if (!f)
		return 0;
	if (f->db)
		lt_db_close(f->db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (f->dir[0] && system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* A new primary KEK, in a transaction of its own; returns its version. */
static inline uint32_t keys_rotate(struct keys_fixture *f)
{
	uint32_t v = 0;

	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_kek_ring_rotate(&f->ring, f->db, 1000, &v), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	return v;
}

/* A live object @p n with data key @p dek, wrapped under the primary. */
static inline void keys_add_object(struct keys_fixture *f, unsigned n,
				   const uint8_t dek[LT_KEY_LEN], struct lt_db_object *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%08x-0000-4000-8000-%012x", n, n);
	snprintf(o->group, sizeof(o->group), "g%u", n % 2);
	o->created_at = 1000;
	o->retain_until = 2000;
	o->state = LETHE_STATE_LIVE;
	o->seg_log2 = 16;
	assert_int_equal(lt_kek_ring_wrap_dek(&f->ring, f->db, o, dek), LETHE_OK);
	assert_int_equal(lt_db_object_insert(f->db, o), LETHE_OK);
}

#endif
