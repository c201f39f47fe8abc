/* test_store_sqlite_meta.c - unit tests of store/sqlite/meta.c: small named values. */
#include "store_sqlite_fixture.h"

static void test_meta(void **state)
{
	struct fx *f = *state;
	uint8_t buf[8];
	size_t len = 99;

	assert_int_equal(lt_db_meta_get(f->db, "store_id", buf, sizeof(buf), &len),
			 LETHE_ERR_NOT_FOUND);
	assert_int_equal(len, 0);
	assert_int_equal(lt_db_meta_set(f->db, "k", "abcdef", 6), LETHE_OK);
	assert_int_equal(lt_db_meta_get(f->db, "k", buf, sizeof(buf), &len), LETHE_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(lt_db_meta_set(f->db, "k", "0123456789", 10), LETHE_OK);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(lt_db_meta_get(f->db, "k", buf, 4, &len), LETHE_OK);
	assert_int_equal(len, 10); /* stored size: the caller sees it was cut */
	assert_memory_equal(buf, "0123\0\0\0\0", 8);
	assert_int_equal(lt_db_meta_set(f->db, "empty", "", 0), LETHE_OK);
	assert_int_equal(lt_db_meta_get(f->db, "empty", buf, sizeof(buf), &len), LETHE_OK);
	assert_int_equal(len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
