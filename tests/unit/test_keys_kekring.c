/* test_keys_kekring.c - KEK versions: rotation, loading (and every refusal), data keys under
 * them, retirement only when every surviving data key is shown to unwrap, and the keystore
 * entries a crash left behind removed by the next reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "crypt/secmem.h"
#include "keys/kekring.h"
#include "keys/keystore.h"
#include "keys/wrap.h"
#include "store/db.h"
#include "tests/unit/keys_fixture.h"

static void keystore_versions(struct keys_fixture *f, uint32_t *versions, size_t *n)
{
	struct lt_keystore_kek keks[LT_KEYSTORE_KEKS_MAX];

	assert_int_equal(lt_keystore_keks(f->keystore, keks, LT_KEYSTORE_KEKS_MAX, n), LETHE_OK);
	for (size_t i = 0; i < *n; i++)
		versions[i] = keks[i].version;
}

static bool keystore_has(struct keys_fixture *f, uint32_t version)
{
	uint32_t v[LT_KEYSTORE_KEKS_MAX];
	size_t n = 0;

	keystore_versions(f, v, &n);
	for (size_t i = 0; i < n; i++)
		if (v[i] == version)
			return true;
	return false;
}

static void test_rotate_and_load(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_kek_ring other;
	struct lt_db_kek row;
	uint8_t *a = lt_secmem_alloc(LT_KEY_LEN), *b = lt_secmem_alloc(LT_KEY_LEN);

	assert_int_equal(keys_rotate(f), 1);
	assert_true(keystore_has(f, 1));
	assert_int_equal(lt_db_kek_get(f->db, 1, &row), LETHE_OK);
	assert_true(row.primary);
	assert_int_equal(row.state, LETHE_KEK_ACTIVE);
	assert_int_equal(lt_kek_ring_load(&f->ring, f->db, 1, a), LETHE_OK);
	/* a second ring (another process) read the keystore before the next rotation */
	lt_kek_ring_init(&other, f->keystore, f->store_id, f->wrap_key);
	assert_int_equal(lt_kek_ring_load(&other, f->db, 1, b), LETHE_OK);
	assert_memory_equal(a, b, LT_KEY_LEN);
	assert_int_equal(keys_rotate(f), 2);
	assert_int_equal(lt_db_kek_primary(f->db, &row), LETHE_OK);
	assert_int_equal(row.version, 2);
	/* version 2 is not in the token it read: it reads the keystore again */
	assert_int_equal(lt_kek_ring_load(&other, f->db, 2, b), LETHE_OK);
	assert_int_equal(lt_kek_ring_load(&f->ring, f->db, 2, a), LETHE_OK);
	assert_memory_equal(a, b, LT_KEY_LEN);
	assert_int_equal(lt_kek_ring_load(&f->ring, f->db, 1, b), LETHE_OK);
	assert_memory_not_equal(a, b, LT_KEY_LEN);
	lt_secmem_free(a, LT_KEY_LEN);
	lt_secmem_free(b, LT_KEY_LEN);
}

static void test_load_refused(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_kek_ring wrong;
	struct lt_db_kek row;
	uint8_t *kek = lt_secmem_alloc(LT_KEY_LEN);
	uint8_t other_key[LT_KEY_LEN];

	assert_int_equal(keys_rotate(f), 1);
	assert_int_equal(lt_kek_ring_load(&f->ring, f->db, 7, kek), LETHE_ERR_INTEGRITY);
	assert_string_equal(lt_err_detail(), "KEK version 7 does not exist");
	/* a row without its keystore entry */
	memset(&row, 0, sizeof(row));
	row.version = 2;
	row.primary = true;
	assert_int_equal(lt_db_kek_insert(f->db, &row), LETHE_OK);
	assert_int_equal(lt_kek_ring_load(&f->ring, f->db, 2, kek), LETHE_ERR_INTEGRITY);
	assert_string_equal(lt_err_detail(), "KEK version 2 is not in the keystore");
	/* a keystore entry under another wrapping key (another store's) */
	memset(other_key, 0x11, sizeof(other_key));
	lt_kek_ring_init(&wrong, f->keystore, f->store_id, other_key);
	assert_int_equal(lt_kek_ring_load(&wrong, f->db, 1, kek), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "KEK version 1 does not unwrap"));
	/* retired: refused even while the keystore still has it */
	assert_int_equal(lt_db_kek_retire(f->db, 1, 3000), LETHE_OK);
	assert_true(keystore_has(f, 1));
	assert_int_equal(lt_kek_ring_load(&f->ring, f->db, 1, kek), LETHE_ERR_INTEGRITY);
	assert_string_equal(lt_err_detail(), "KEK version 1 was retired (destroyed)");
	lt_secmem_free(kek, LT_KEY_LEN);
}

/* A crash between a retirement's commit and its keystore update leaves the key in the
 * keystore: the next reader of the keystore removes it, and keeps the caller's error detail. */
static void test_reader_finishes_retirement(void **state)
{
	struct keys_fixture *f = *state;
	uint8_t *kek = lt_secmem_alloc(LT_KEY_LEN);

	assert_int_equal(keys_rotate(f), 1);
	assert_int_equal(keys_rotate(f), 2);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 3000), LETHE_OK);
	assert_true(keystore_has(f, 1));
	lt_err(LETHE_ERR_IO, "earlier detail");
	lt_kek_ring_forget(&f->ring);
	assert_int_equal(lt_kek_ring_load(&f->ring, f->db, 2, kek), LETHE_OK);
	assert_string_equal(lt_err_detail(), "earlier detail");
	assert_false(keystore_has(f, 1));
	assert_true(keystore_has(f, 2));
	lt_secmem_free(kek, LT_KEY_LEN);
}

static void test_data_keys(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_db_object o;
	uint8_t dek[LT_KEY_LEN], *back = lt_secmem_alloc(LT_KEY_LEN);

	assert_int_equal(keys_rotate(f), 1);
	assert_int_equal(keys_rotate(f), 2);
	memset(dek, 0x42, sizeof(dek));
	keys_add_object(f, 1, dek, &o);
	/* under the primary as the metadata names it */
	assert_int_equal(o.kek_version, 2);
	assert_true(o.has_dek);
	assert_int_equal(lt_kek_ring_unwrap_dek(&f->ring, f->db, &o, back), LETHE_OK);
	assert_memory_equal(back, dek, LT_KEY_LEN);
	/* a wrap moved to another row, group or version does not open */
	snprintf(o.group, sizeof(o.group), "other");
	assert_int_equal(lt_kek_ring_unwrap_dek(&f->ring, f->db, &o, back), LETHE_ERR_INTEGRITY);
	assert_string_equal(lt_err_detail(), "wrapped data key does not unwrap: the database row "
					     "was modified or moved");
	snprintf(o.group, sizeof(o.group), "g1");
	o.kek_version = 1;
	assert_int_equal(lt_kek_ring_unwrap_dek(&f->ring, f->db, &o, back), LETHE_ERR_INTEGRITY);
	lt_secmem_free(back, LT_KEY_LEN);
}

static void test_retire(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_db_object o1, o2;
	struct lt_db_kek row;
	uint8_t dek[LT_KEY_LEN], *back = lt_secmem_alloc(LT_KEY_LEN);

	assert_int_equal(keys_rotate(f), 1);
	memset(dek, 0x42, sizeof(dek));
	keys_add_object(f, 1, dek, &o1);
	assert_int_equal(keys_rotate(f), 2);
	keys_add_object(f, 2, dek, &o2);
	assert_int_equal(lt_kek_ring_retire(&f->ring, f->db, 9, 3000), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_kek_ring_retire(&f->ring, f->db, 2, 3000), LETHE_ERR_KEK_IN_USE);
	assert_non_null(strstr(lt_err_detail(), "is the primary"));
	assert_int_equal(lt_kek_ring_retire(&f->ring, f->db, 1, 3000), LETHE_ERR_KEK_IN_USE);
	assert_non_null(strstr(lt_err_detail(), "still wraps 1 data key(s)"));
	/* a row whose version was changed under it: the count says version 1 is free, but the
	 * object's key is still wrapped under it and would be lost with it */
	assert_int_equal(lt_db_object_set_dek(f->db, o1.id, 2, o1.wrapped_dek), LETHE_OK);
	assert_int_equal(lt_kek_ring_retire(&f->ring, f->db, 1, 3000), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "nothing retired"));
	assert_non_null(strstr(lt_err_detail(), o1.id));
	assert_int_equal(lt_db_kek_get(f->db, 1, &row), LETHE_OK);
	assert_int_equal(row.state, LETHE_KEK_ACTIVE);
	/* rewrapped for real (as a rewrap does): now it may go */
	o1.kek_version = 1;
	assert_int_equal(lt_kek_ring_unwrap_dek(&f->ring, f->db, &o1, back), LETHE_OK);
	assert_int_equal(lt_kek_ring_wrap_dek(&f->ring, f->db, &o1, back), LETHE_OK);
	assert_int_equal(lt_db_object_set_dek(f->db, o1.id, o1.kek_version, o1.wrapped_dek),
			 LETHE_OK);
	assert_int_equal(lt_kek_ring_retire(&f->ring, f->db, 1, 3000), LETHE_OK);
	assert_int_equal(lt_db_kek_get(f->db, 1, &row), LETHE_OK);
	assert_int_equal(row.state, LETHE_KEK_RETIRED);
	assert_int_equal(row.retired_at, 3000);
	assert_true(keystore_has(f, 1));
	assert_int_equal(lt_kek_ring_destroy(&f->ring, 1), LETHE_OK);
	assert_false(keystore_has(f, 1));
	assert_int_equal(lt_kek_ring_unwrap_dek(&f->ring, f->db, &o1, back), LETHE_OK);
	assert_memory_equal(back, dek, LT_KEY_LEN);
	assert_int_equal(lt_kek_ring_retire(&f->ring, f->db, 1, 4000), LETHE_ERR_NOT_FOUND);
	assert_non_null(strstr(lt_err_detail(), "already retired"));
	lt_secmem_free(back, LT_KEY_LEN);
}

/* Retiring a version already retired finishes a keystore removal a crash interrupted. */
static void test_retire_again_finishes(void **state)
{
	struct keys_fixture *f = *state;

	assert_int_equal(keys_rotate(f), 1);
	assert_int_equal(keys_rotate(f), 2);
	assert_int_equal(lt_kek_ring_retire(&f->ring, f->db, 1, 3000), LETHE_OK);
	assert_true(keystore_has(f, 1)); /* committed; the keystore update never came */
	assert_int_equal(lt_kek_ring_retire(&f->ring, f->db, 1, 3000), LETHE_ERR_NOT_FOUND);
	assert_false(keystore_has(f, 1));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, keys_setup_ring, keys_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_rotate_and_load), T(test_load_refused), T(test_reader_finishes_retirement),
	    T(test_data_keys),       T(test_retire),       T(test_retire_again_finishes),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
