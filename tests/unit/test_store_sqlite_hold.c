/* test_store_sqlite_hold.c - unit tests of store/sqlite/hold.c and the object hold of object.c:
 * legal holds stop shreds at the lowest layer, and stack. */
#include "store_sqlite_fixture.h"

static enum lethe_err gset(struct lt_db *db, const char *group, const char *ref, int64_t at)
{
	struct lt_db_hold h = {0};
	bool added;

	snprintf(h.group, sizeof(h.group), "%s", group);
	snprintf(h.ref, sizeof(h.ref), "%s", ref);
	h.set_at = at;
	snprintf(h.set_by, sizeof(h.set_by), "test");
	return lt_db_hold_add(db, &h, &added);
}

static enum lethe_err gclear(struct lt_db *db, const char *group, const char *ref)
{
	bool removed;

	return lt_db_hold_remove(db, NULL, group, ref, &removed);
}

static int count(const struct lt_db_hold *h, void *ctx)
{
	(void) h;
	(*(int *) ctx)++;
	return 0;
}

/* Holds stack: two references on one group are two rows, each removed on its own; the same
 * reference again is no new row. */
static void test_holds_stack(void **state)
{
	struct fx *f = *state;
	struct lt_db_hold h = {0};
	char reason[LETHE_REASON_MAX + 1];
	bool held = false, added = false, removed = false;
	int n = 0;

	snprintf(h.group, sizeof(h.group), "legal");
	snprintf(h.ref, sizeof(h.ref), "case 1");
	assert_int_equal(lt_db_hold_add(f->db, &h, &added), LETHE_OK);
	assert_true(added);
	assert_int_equal(lt_db_hold_add(f->db, &h, &added), LETHE_OK);
	assert_false(added);
	snprintf(h.ref, sizeof(h.ref), "case 2");
	assert_int_equal(lt_db_hold_add(f->db, &h, &added), LETHE_OK);
	assert_true(added);
	assert_int_equal(lt_db_hold_list(f->db, NULL, "legal", count, &n), LETHE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(lt_db_hold_remove(f->db, NULL, "legal", "case 2", &removed), LETHE_OK);
	assert_true(removed);
	assert_int_equal(lt_db_hold_remove(f->db, NULL, "legal", "case 2", &removed), LETHE_OK);
	assert_false(removed);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_true(held);
	assert_string_equal(reason, "case 1");
	/* neither an object nor a group, or both: refused */
	memset(h.group, 0, sizeof(h.group));
	assert_int_equal(lt_db_hold_add(f->db, &h, &added), LETHE_ERR_INVALID);
}

static void test_holds(void **state)
{
	struct fx *f = *state;
	struct lt_db_object o;
	char reason[LETHE_REASON_MAX + 1];
	char a[LETHE_ID_LEN + 1], b[LETHE_ID_LEN + 1];
	bool held = true;

	add_kek(f->db, 1, true);
	add_object(f->db, 1, "legal", 1, 2, 1);
	add_object(f->db, 2, "other", 1, 2, 1);
	make_id(1, a);
	make_id(2, b);
	assert_int_equal(lt_db_object_set_hold(f->db, a, true, "case 42"), LETHE_OK);
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_true(o.hold);
	assert_string_equal(o.hold_reason, "case 42");
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_ERR_HELD);
	assert_int_equal(lt_db_object_set_hold(f->db, a, false, NULL), LETHE_OK);
	assert_int_equal(lt_db_object_set_hold(f->db, a, false, NULL), LETHE_OK); /* again */
	assert_int_equal(lt_db_object_get(f->db, a, &o), LETHE_OK);
	assert_false(o.hold);
	assert_string_equal(o.hold_reason, "");
	assert_int_equal(
	    lt_db_object_set_hold(f->db, "00000000-0000-4000-8000-00000000dead", true, "x"),
	    LETHE_ERR_NOT_FOUND);

	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_false(held);
	assert_int_equal(gset(f->db, "legal", "subpoena 7", 100), LETHE_OK);
	assert_int_equal(gset(f->db, "legal", "subpoena 8", 101), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_true(held);
	assert_string_equal(reason, "subpoena 8");
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, NULL), LETHE_OK);
	/* a group hold protects its objects at the lowest layer too */
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_ERR_HELD);
	assert_int_equal(lt_db_object_shred(f->db, b, 9), LETHE_OK);
	assert_int_equal(lt_db_object_set_hold(f->db, b, true, "x"), LETHE_ERR_SHREDDED);
	/* holds stack: clearing one leaves the other */
	assert_int_equal(gclear(f->db, "legal", "subpoena 8"), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_true(held);
	assert_string_equal(reason, "subpoena 7");
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_ERR_HELD);
	assert_int_equal(gclear(f->db, "legal", "subpoena 7"), LETHE_OK);
	assert_int_equal(gclear(f->db, "legal", "subpoena 7"), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_false(held);
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_OK);
}

/* Within one transaction a group's hold is read once, and follows every change to the table:
 * a hold set or cleared in the transaction counts at once, and a rollback forgets it. */
static void test_group_hold_in_a_transaction(void **state)
{
	struct fx *f = *state;
	char reason[LETHE_REASON_MAX + 1];
	char a[LETHE_ID_LEN + 1], b[LETHE_ID_LEN + 1];
	bool held = true;

	add_kek(f->db, 1, true);
	add_object(f->db, 1, "legal", 1, 2, 1);
	add_object(f->db, 2, "legal", 1, 2, 1);
	make_id(1, a);
	make_id(2, b);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_false(held);
	assert_int_equal(gset(f->db, "legal", "subpoena 9", 100), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_true(held);
	assert_string_equal(reason, "subpoena 9");
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_ERR_HELD);
	assert_int_equal(lt_db_group_hold_get(f->db, "other", &held, reason), LETHE_OK);
	assert_false(held);
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_ERR_HELD);
	assert_int_equal(gclear(f->db, "legal", "subpoena 9"), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_false(held);
	assert_int_equal(lt_db_object_shred(f->db, a, 9), LETHE_OK);
	assert_int_equal(gset(f->db, "legal", "subpoena 10", 101), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	/* committed: the next transaction reads it again */
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_shred(f->db, b, 9), LETHE_ERR_HELD);
	assert_int_equal(gclear(f->db, "legal", "subpoena 10"), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_false(held);
	lt_db_rollback(f->db);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_group_hold_get(f->db, "legal", &held, reason), LETHE_OK);
	assert_true(held);
	assert_int_equal(lt_db_object_shred(f->db, b, 9), LETHE_ERR_HELD);
	lt_db_rollback(f->db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_holds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_holds_stack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_hold_in_a_transaction, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
