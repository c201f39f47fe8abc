/* test_keys_rewrap.c - data keys moved to the primary KEK: every row moved and still opening
 * to the same key, a moving target, and a row that cannot be moved left exactly as it was. */
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
#include "keys/rewrap.h"
#include "keys/wrap.h"
#include "store/db.h"
#include "tests/unit/keys_fixture.h"

struct run {
	struct lt_rewrapper *w;
	unsigned moved;
	enum lethe_err rc;
};

static int move_one(const struct lt_db_object *obj, void *ctx)
{
	struct run *r = ctx;

	r->rc = lt_rewrapper_one(r->w, obj);
	if (r->rc != LETHE_OK)
		return 1;
	r->moved++;
	return 0;
}

/* Move up to @p limit rows not under @p primary; returns how many moved. */
static unsigned batch(struct keys_fixture *f, struct lt_rewrapper *w, uint32_t primary,
		      size_t limit, enum lethe_err want)
{
	struct run r = {w, 0, LETHE_OK};

	assert_int_equal(lt_rewrapper_target(w, primary), LETHE_OK);
	assert_int_equal(lt_db_object_not_under(f->db, primary, limit, move_one, &r), LETHE_OK);
	assert_int_equal(r.rc, want);
	return r.moved;
}

static void assert_under(struct keys_fixture *f, const char *id, uint32_t version, uint8_t fill)
{
	struct lt_db_object o;
	uint8_t *dek = lt_secmem_alloc(LT_KEY_LEN), want[LT_KEY_LEN];

	memset(want, fill, sizeof(want));
	assert_int_equal(lt_db_object_get(f->db, id, &o), LETHE_OK);
	assert_int_equal(o.kek_version, version);
	assert_int_equal(lt_kek_ring_unwrap_dek(&f->ring, f->db, &o, dek), LETHE_OK);
	assert_memory_equal(dek, want, LT_KEY_LEN);
	lt_secmem_free(dek, LT_KEY_LEN);
}

static void test_rewrap_all(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_rewrapper w;
	struct lt_db_object o[4];
	uint8_t dek[LT_KEY_LEN];

	assert_int_equal(keys_rotate(f), 1);
	for (unsigned i = 0; i < 4; i++) {
		memset(dek, 0x30 + (int) i, sizeof(dek));
		keys_add_object(f, i + 1, dek, &o[i]);
	}
	assert_int_equal(lt_rewrapper_pending(f->db), 0);
	assert_int_equal(keys_rotate(f), 2);
	assert_int_equal(lt_rewrapper_pending(f->db), 4);
	assert_int_equal(lt_rewrapper_init(&w, &f->ring, f->db), LETHE_OK);
	assert_int_equal(batch(f, &w, 2, 3, LETHE_OK), 3);
	assert_int_equal(lt_rewrapper_pending(f->db), 1);
	/* another officer rotated between two batches: the target moves, rows moved already
	 * move again */
	assert_int_equal(keys_rotate(f), 3);
	assert_int_equal(batch(f, &w, 3, 100, LETHE_OK), 4);
	assert_int_equal(w.primary, 3);
	assert_int_equal(lt_rewrapper_pending(f->db), 0);
	assert_int_equal(batch(f, &w, 3, 100, LETHE_OK), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_under(f, o[i].id, 3, (uint8_t) (0x30 + i));
	lt_rewrapper_free(&w);
	lt_rewrapper_free(&w); /* freeing twice is harmless */
}

/* A row whose wrap does not open, or whose KEK is gone, stops the batch and is not touched. */
static void test_rewrap_refused(void **state)
{
	struct keys_fixture *f = *state;
	struct lt_rewrapper w;
	struct lt_db_object o, bad, back;
	uint8_t dek[LT_KEY_LEN];

	assert_int_equal(keys_rotate(f), 1);
	memset(dek, 0x30, sizeof(dek));
	keys_add_object(f, 1, dek, &o);
	keys_add_object(f, 2, dek, &bad);
	bad.wrapped_dek[5] ^= 1;
	assert_int_equal(lt_db_object_set_dek(f->db, bad.id, 1, bad.wrapped_dek), LETHE_OK);
	assert_int_equal(keys_rotate(f), 2);
	assert_int_equal(lt_rewrapper_init(&w, &f->ring, f->db), LETHE_OK);
	assert_int_equal(lt_rewrapper_target(&w, 2), LETHE_OK);
	assert_int_equal(lt_rewrapper_one(&w, &bad), LETHE_ERR_INTEGRITY);
	assert_int_equal(lt_db_object_get(f->db, bad.id, &back), LETHE_OK);
	assert_int_equal(back.kek_version, 1);
	assert_memory_equal(back.wrapped_dek, bad.wrapped_dek, sizeof(bad.wrapped_dek));
	/* a row naming a KEK that does not exist: the detail names the object */
	o.kek_version = 9;
	assert_int_equal(lt_rewrapper_one(&w, &o), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), o.id));
	assert_non_null(strstr(lt_err_detail(), "KEK version 9 does not exist"));
	assert_under(f, o.id, 1, 0x30);
	/* the good row still moves */
	assert_int_equal(lt_db_object_get(f->db, o.id, &back), LETHE_OK);
	assert_int_equal(lt_rewrapper_one(&w, &back), LETHE_OK);
	assert_under(f, o.id, 2, 0x30);
	lt_rewrapper_free(&w);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, keys_setup_ring, keys_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_rewrap_all),
	    T(test_rewrap_refused),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
