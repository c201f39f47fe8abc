/* test_store_sqlite_kek.c - unit tests of store/sqlite/kek.c: KEK versions, the primary, counts
 * and retirement. */
#include "store_sqlite_fixture.h"

struct kek_list {
	uint32_t versions[8];
	bool primary[8];
	uint64_t objects[8];
	size_t n;
};

static int collect_kek(const struct lt_db_kek *k, void *ctx)
{
	struct kek_list *l = ctx;

	l->versions[l->n] = k->version;
	l->primary[l->n] = k->primary;
	l->objects[l->n] = k->objects;
	l->n++;
	return 0;
}

static void test_keks(void **state)
{
	struct fx *f = *state;
	struct lt_db_kek k, bad;
	struct kek_list l = {.n = 0};
	uint32_t max = 99;
	uint64_t count = 99;

	assert_int_equal(lt_db_kek_max_version(f->db, &max), LETHE_OK);
	assert_int_equal(max, 0);
	assert_int_equal(lt_db_kek_primary(f->db, &k), LETHE_ERR_NOT_FOUND);
	add_kek(f->db, 1, true);
	add_kek(f->db, 2, true);
	/* versions are dense */
	memset(&bad, 0, sizeof(bad));
	bad.version = 5;
	assert_int_equal(lt_db_kek_insert(f->db, &bad), LETHE_ERR_INVALID);
	bad.version = 2;
	assert_int_equal(lt_db_kek_insert(f->db, &bad), LETHE_ERR_INVALID);
	assert_int_equal(lt_db_kek_max_version(f->db, &max), LETHE_OK);
	assert_int_equal(max, 2);
	assert_int_equal(lt_db_kek_primary(f->db, &k), LETHE_OK);
	assert_int_equal(k.version, 2);
	assert_true(k.primary);
	assert_int_equal(lt_db_kek_get(f->db, 1, &k), LETHE_OK);
	assert_false(k.primary);
	assert_int_equal(k.created_at, 1001);
	assert_int_equal(lt_db_kek_get(f->db, 7, &k), LETHE_ERR_NOT_FOUND);

	add_object(f->db, 1, "default", 10, 100, 1);
	add_object(f->db, 2, "default", 11, 100, 2);
	add_object(f->db, 3, "default", 12, 100, 2);
	assert_int_equal(lt_db_kek_count_objects(f->db, 2, &count), LETHE_OK);
	assert_int_equal(count, 2);
	assert_int_equal(lt_db_kek_list(f->db, collect_kek, &l), LETHE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.versions[0], 1);
	assert_false(l.primary[0]);
	assert_int_equal(l.objects[0], 1);
	assert_true(l.primary[1]);
	assert_int_equal(l.objects[1], 2);

	/* retire: refused for the primary and while a DEK is wrapped under it */
	assert_int_equal(lt_db_kek_retire(f->db, 2, 5000), LETHE_ERR_KEK_IN_USE);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 5000), LETHE_ERR_KEK_IN_USE);
	assert_non_null(strstr(lt_err_detail(), "1 live data keys"));
	assert_int_equal(lt_db_object_shred(f->db, "00000001-0000-4000-8000-000000000001", 4000),
			 LETHE_OK);
	assert_int_equal(lt_db_kek_get(f->db, 1, &k), LETHE_OK);
	assert_int_equal(k.objects, 0);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 5000), LETHE_OK);
	assert_int_equal(lt_db_kek_get(f->db, 1, &k), LETHE_OK);
	assert_int_equal(k.state, LETHE_KEK_RETIRED);
	assert_int_equal(k.retired_at, 5000);
	assert_int_equal(lt_db_kek_retire(f->db, 1, 6000), LETHE_OK); /* idempotent */
	assert_int_equal(lt_db_kek_retire(f->db, 9, 6000), LETHE_ERR_NOT_FOUND);
	/* no DEK may be wrapped under a retired KEK */
	{
		struct lt_db_object o;
		uint8_t w[LT_DB_WRAPPED_LEN] = {1};

		object_init(&o, 50, "default", 1, 2, 1);
		assert_int_not_equal(lt_db_object_insert(f->db, &o), LETHE_OK);
		assert_int_not_equal(
		    lt_db_object_set_dek(f->db, "00000002-0000-4000-8000-000000000002", 1, w),
		    LETHE_OK);
	}
	assert_int_equal(lt_db_check(f->db), LETHE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_keks, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
