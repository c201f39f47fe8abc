/* test_store_sqlite_unlink.c - unit tests of store/sqlite/unlink.c: the queue of files of
 * shredded objects. */
#include "store_sqlite_fixture.h"

static void test_unlink_pending(void **state)
{
	struct fx *f = *state;
	struct id_list *l = calloc(1, sizeof(*l));
	char id[LETHE_ID_LEN + 1];

	add_kek(f->db, 1, true);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (unsigned i = 0; i < 200; i++) {
		add_object(f->db, i + 1, "g", 1, 2, 1);
		make_id(i + 1, id);
		assert_int_equal(lt_db_object_shred(f->db, id, 3), LETHE_OK);
	}
	/* a rolled-back shred queues nothing */
	add_object(f->db, 999, "g", 1, 2, 1);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	make_id(999, id);
	assert_int_equal(lt_db_object_shred(f->db, id, 3), LETHE_OK);
	lt_db_rollback(f->db);

	assert_int_equal(lt_db_unlink_pending(f->db, collect_id, l), LETHE_OK);
	assert_int_equal(l->n, 200);
	for (size_t i = 1; i < l->n; i++)
		assert_true(strcmp(l->ids[i - 1], l->ids[i]) < 0);
	/* done while iterating is fine: the callback runs with no statement active */
	for (size_t i = 0; i < 150; i++)
		assert_int_equal(lt_db_unlink_done(f->db, l->ids[i]), LETHE_OK);
	assert_int_equal(lt_db_unlink_done(f->db, l->ids[0]), LETHE_OK); /* twice is fine */
	l->n = 0;
	assert_int_equal(lt_db_unlink_pending(f->db, collect_id, l), LETHE_OK);
	assert_int_equal(l->n, 50);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unlink_pending, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
