/* test_store_sqlite_audit.c - unit tests of store/sqlite/audit.c: the audit log and the records
 * kept before a key was unlocked. */
#include "store_sqlite_fixture.h"

struct audit_list {
	uint64_t seq[300];
	char action[300][32];
	size_t n;
	size_t stop_at; /* 1-based; 0: never */
};

static int collect_audit(const struct lt_db_audit *r, void *ctx)
{
	struct audit_list *l = ctx;

	l->seq[l->n] = r->seq;
	memcpy(l->action[l->n], r->action, sizeof(r->action));
	assert_string_equal(r->user, "alice");
	assert_int_equal(r->pid, 4242);
	l->n++;
	return l->stop_at && l->n == l->stop_at;
}

static void test_audit(void **state)
{
	struct fx *f = *state;
	struct lt_db_audit r;
	struct audit_list *l = calloc(1, sizeof(*l));
	uint8_t mac[32];
	uint64_t seq = 9;

	assert_int_equal(lt_db_audit_last(f->db, &seq, mac), LETHE_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	for (uint64_t i = 1; i <= 200; i++) {
		audit_init(&r, i, (int64_t) i * 1000);
		assert_int_equal(lt_db_audit_insert(f->db, &r), LETHE_OK);
	}
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	/* the chain has no gaps and no duplicates */
	audit_init(&r, 202, 1);
	assert_int_not_equal(lt_db_audit_insert(f->db, &r), LETHE_OK);
	audit_init(&r, 200, 1);
	assert_int_not_equal(lt_db_audit_insert(f->db, &r), LETHE_OK);
	assert_int_equal(lt_db_audit_last(f->db, &seq, mac), LETHE_OK);
	assert_int_equal(seq, 200);
	assert_int_equal(mac[0], 200);
	assert_int_equal(lt_db_audit_list(f->db, 0, INT64_MIN, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 200);
	for (size_t i = 0; i < l->n; i++)
		assert_int_equal(l->seq[i], i + 1);
	l->n = 0;
	assert_int_equal(lt_db_audit_list(f->db, 150, INT64_MIN, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 51);
	assert_int_equal(l->seq[0], 150);
	l->n = 0;
	assert_int_equal(lt_db_audit_list(f->db, 0, 190500, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 10);
	assert_int_equal(l->seq[0], 191);
	l->n = 0;
	l->stop_at = 3;
	assert_int_equal(lt_db_audit_list(f->db, 0, INT64_MIN, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 3);
	free(l);
}

static void test_audit_pending(void **state)
{
	struct fx *f = *state;
	struct lt_db_audit r;
	struct audit_list *l = calloc(1, sizeof(*l));

	for (int i = 0; i < 150; i++) {
		audit_init(&r, 0, i);
		snprintf(r.action, sizeof(r.action), "unlock%d", i);
		assert_int_equal(lt_db_audit_pending_add(f->db, &r), LETHE_OK); /* autocommit */
	}
	/* the callback stops at the 140th: 139 are taken, the rest stay */
	l->stop_at = 140;
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(l->n, 140);
	assert_string_equal(l->action[0], "unlock0");
	l->n = 0;
	l->stop_at = 0;
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(l->n, 11);
	assert_string_equal(l->action[0], "unlock139");
	/* a rolled-back take leaves them */
	audit_init(&r, 0, 7);
	assert_int_equal(lt_db_audit_pending_add(f->db, &r), LETHE_OK);
	l->n = 0;
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	lt_db_rollback(f->db);
	assert_int_equal(l->n, 1);
	l->n = 0;
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 1);
	l->n = 0;
	assert_int_equal(lt_db_audit_pending_take(f->db, collect_audit, l), LETHE_OK);
	assert_int_equal(l->n, 0);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_pending, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
