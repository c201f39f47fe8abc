/* test_store_sqlite_cert.c - unit tests of store/sqlite/cert.c: disposal certificates. */
#include "store_sqlite_fixture.h"

struct cert_list {
	uint64_t seq[8];
	char object[8][LETHE_ID_LEN + 1];
	char json[8][64];
	size_t n;
};

static int collect_cert(const struct lt_db_cert *c, void *ctx)
{
	struct cert_list *l = ctx;

	l->seq[l->n] = c->seq;
	memcpy(l->object[l->n], c->object_id, LETHE_ID_LEN + 1);
	assert_true(c->json_len < 64);
	memcpy(l->json[l->n], c->json, c->json_len);
	l->json[l->n][c->json_len] = '\0';
	assert_int_equal(c->sig[0], 0x5a);
	l->n++;
	return 0;
}

static void test_certificates(void **state)
{
	struct fx *f = *state;
	struct lt_db_cert c;
	struct cert_list l = {.n = 0};
	uint8_t sha[32];
	uint64_t seq = 9, count = 9;
	char a[LETHE_ID_LEN + 1];

	add_kek(f->db, 1, true);
	add_object(f->db, 1, "g", 1, 2, 1);
	add_object(f->db, 2, "g", 1, 2, 1);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 0);
	/* a certificate for a live object would be false evidence */
	cert_init(&c, 1, "{\"n\":1}");
	assert_int_not_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_OK);
	make_id(1, a);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_object_shred(f->db, a, 501), LETHE_OK);
	assert_int_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 1);
	assert_memory_equal(sha, c.sha256, 32);
	/* one certificate per object */
	cert_init(&c, 1, "{\"n\":1,\"again\":1}");
	snprintf(c.id, sizeof(c.id), "d0000001-0000-4000-8000-000000000001");
	assert_int_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_ERR_EXISTS);
	assert_non_null(strstr(lt_err_detail(), "already has a disposal certificate"));
	make_id(2, a);
	assert_int_equal(lt_db_object_shred(f->db, a, 502), LETHE_OK);
	cert_init(&c, 2, "{\"n\":2}");
	assert_int_equal(lt_db_cert_insert(f->db, &c, &seq), LETHE_OK);
	assert_int_equal(seq, 2);
	assert_int_equal(lt_db_cert_count_for_object(f->db, a, &count), LETHE_OK);
	assert_int_equal(count, 1);
	assert_int_equal(lt_db_cert_list(f->db, collect_cert, &l), LETHE_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.seq[0], 1);
	assert_int_equal(l.seq[1], 2);
	assert_string_equal(l.json[0], "{\"n\":1}");
	assert_string_equal(l.object[1], a);
}

/* Within one transaction (a sweep batch) the newest certificate is read once and then follows
 * the inserts; a rollback forgets them, and a later transaction sees another handle's. */
static void test_newest_in_a_transaction(void **state)
{
	struct fx *f = *state;
	struct lt_db *other = NULL;
	struct lt_db_cert c1, c2;
	uint8_t sha[32];
	uint64_t seq = 9;
	char a[LETHE_ID_LEN + 1];

	add_kek(f->db, 1, true);
	for (unsigned n = 1; n <= 3; n++)
		add_object(f->db, n, "g", 1, 2, 1);
	cert_init(&c1, 1, "{\"n\":1}");
	cert_init(&c2, 2, "{\"n\":2}");
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 0);
	make_id(1, a);
	assert_int_equal(lt_db_object_shred(f->db, a, 501), LETHE_OK);
	assert_int_equal(lt_db_cert_insert(f->db, &c1, &seq), LETHE_OK);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 1);
	assert_memory_equal(sha, c1.sha256, 32);
	make_id(2, a);
	assert_int_equal(lt_db_object_shred(f->db, a, 502), LETHE_OK);
	assert_int_equal(lt_db_cert_insert(f->db, &c2, &seq), LETHE_OK);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 2);
	assert_memory_equal(sha, c2.sha256, 32);
	lt_db_rollback(f->db);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	/* another writer's certificate, between two transactions of this handle */
	assert_int_equal(lt_db_open(f->path, false, &other), LETHE_OK);
	make_id(1, a);
	assert_int_equal(lt_db_begin(other), LETHE_OK);
	assert_int_equal(lt_db_object_shred(other, a, 501), LETHE_OK);
	assert_int_equal(lt_db_cert_insert(other, &c1, &seq), LETHE_OK);
	assert_int_equal(lt_db_commit(other), LETHE_OK);
	lt_db_close(other);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_db_cert_last(f->db, &seq, sha), LETHE_OK);
	assert_int_equal(seq, 1);
	assert_memory_equal(sha, c1.sha256, 32);
	lt_db_rollback(f->db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_certificates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newest_in_a_transaction, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
