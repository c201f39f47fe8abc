/* test_store_sqlite_checkpoint.c - unit tests of store/sqlite/checkpoint.c: audit checkpoints. */
#include "store_sqlite_fixture.h"

struct cp_list {
	uint64_t seq[4];
	uint64_t audit_seq[4];
	size_t n;
};

static int collect_cp(const struct lt_db_checkpoint *cp, void *ctx)
{
	struct cp_list *l = ctx;

	l->seq[l->n] = cp->seq;
	l->audit_seq[l->n] = cp->audit_seq;
	assert_memory_equal(cp->json, "{\"cp\":1}", cp->json_len);
	assert_int_equal(cp->audit_mac[0], 0x11);
	assert_int_equal(cp->sig[63], 0x22);
	l->n++;
	return 0;
}

static void test_checkpoints(void **state)
{
	struct fx *f = *state;
	struct lt_db_checkpoint cp;
	struct cp_list l = {.n = 0};

	memset(&cp, 0, sizeof(cp));
	cp.seq = 77; /* ignored */
	cp.audit_seq = 10;
	memset(cp.audit_mac, 0x11, sizeof(cp.audit_mac));
	cp.time = 1700000000;
	cp.json = (const uint8_t *) "{\"cp\":1}";
	cp.json_len = 8;
	memset(cp.sig, 0x22, sizeof(cp.sig));
	assert_int_equal(lt_db_checkpoint_insert(f->db, &cp), LETHE_OK);
	cp.audit_seq = 20;
	assert_int_equal(lt_db_checkpoint_insert(f->db, &cp), LETHE_OK);
	assert_int_equal(lt_db_checkpoint_list(f->db, collect_cp, &l), LETHE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.seq[0], 1);
	assert_int_equal(l.seq[1], 2);
	assert_int_equal(l.audit_seq[1], 20);
	cp.json_len = 0;
	assert_int_equal(lt_db_checkpoint_insert(f->db, &cp), LETHE_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
