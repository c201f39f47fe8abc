/* test_audit_verify.c - unit tests of audit/verify.c, acting as someone who can edit meta.db:
 * an intact chain verifies; an edited, deleted or swapped record, the wrong key, a forged
 * checkpoint signature, a checkpoint whose record changed and a log cut after a checkpoint are
 * each reported where they are, and make the chain not intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "audit_fixture.h"

#define UNGUARD                                                                                    \
	"DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TRIGGER audit_chain;"

struct problems {
	int n;
	char where[4][64];
	char what[4][256];
};

static void on_problem(const char *where, const char *what, void *ctx)
{
	struct problems *p = ctx;

	if (p->n < 4) {
		snprintf(p->where[p->n], sizeof(p->where[0]), "%s", where);
		snprintf(p->what[p->n], sizeof(p->what[0]), "%s", what);
	}
	p->n++;
}

static void append_n(struct audit_fx *f, int n)
{
	static const char *const actions[] = {"init", "put", "get", "rm", "hold.set"};
	int i;

	for (i = 0; i < n; i++)
		audit_fx_append(f, &(struct lt_audit_event){.action = actions[i % 5]});
}

/* Verify; return whether the chain is intact, with the problems in @p p. */
static bool verify(struct audit_fx *f, struct problems *p, uint64_t *records)
{
	bool intact = false;

	memset(p, 0, sizeof(*p));
	assert_int_equal(lt_audit_verify(f->db, f->key, on_problem, p, records, &intact), LETHE_OK);
	assert_int_equal(intact, p->n == 0);
	return intact;
}

static void test_intact(void **state)
{
	struct audit_fx *f = *state;
	struct problems p;
	uint64_t records = 99;
	bool intact = false;

	assert_true(verify(f, &p, &records));
	assert_int_equal(records, 0);
	append_n(f, 5);
	assert_true(verify(f, &p, &records));
	assert_int_equal(records, 5);
	/* no callback and no count wanted */
	assert_int_equal(lt_audit_verify(f->db, f->key, NULL, NULL, NULL, &intact), LETHE_OK);
	assert_true(intact);
}

static void test_edited_record(void **state)
{
	struct audit_fx *f = *state;
	struct problems p;
	uint64_t records = 0;

	append_n(f, 4);
	audit_fx_sql(f, UNGUARD "UPDATE audit SET error = 'nothing happened' WHERE seq = 3;");
	assert_false(verify(f, &p, &records));
	assert_int_equal(p.n, 1);
	assert_string_equal(p.where[0], "audit record 3");
	assert_non_null(strstr(p.what[0], "MAC mismatch"));
	/* the walk stops at the first broken record */
	assert_int_equal(records, 2);
}

static void test_deleted_record(void **state)
{
	struct audit_fx *f = *state;
	struct problems p;

	append_n(f, 4);
	audit_fx_sql(f, UNGUARD "DELETE FROM audit WHERE seq = 2;");
	assert_false(verify(f, &p, NULL));
	assert_int_equal(p.n, 1);
	assert_string_equal(p.where[0], "audit record 3");
	assert_string_equal(p.what[0], "expected record 2 here: records were deleted or reordered");
}

/* Renumbering after a delete keeps the sequence whole: the MACs give it away. */
static void test_renumbered(void **state)
{
	struct audit_fx *f = *state;
	struct problems p;

	append_n(f, 4);
	audit_fx_sql(f, UNGUARD "DELETE FROM audit WHERE seq = 2;"
				"UPDATE audit SET seq = seq - 1 WHERE seq > 2;");
	assert_false(verify(f, &p, NULL));
	assert_int_equal(p.n, 1);
	assert_string_equal(p.where[0], "audit record 2");
	assert_non_null(strstr(p.what[0], "MAC mismatch"));
}

static void test_wrong_key(void **state)
{
	struct audit_fx *f = *state;
	struct problems p;

	append_n(f, 2);
	f->key[5] ^= 0x20;
	assert_false(verify(f, &p, NULL));
	assert_string_equal(p.where[0], "audit record 1");
}

/* A checkpoint of the newest record, signed with a fresh evidence key kept in meta. */
static void checkpoint(struct audit_fx *f, uint8_t seed[LT_ED25519_PRIV_LEN])
{
	struct lt_audit_checkpoint cp;

	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(
	    lt_audit_checkpoint_add(f->db, "0b3c6c7e-4f1a-4e1b-9c2d-3e4f5a6b7c8d", seed, &cp),
	    LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	lt_audit_checkpoint_free(&cp);
}

static void evidence_key(struct audit_fx *f, uint8_t seed[LT_ED25519_PRIV_LEN])
{
	uint8_t pub[LT_ED25519_PUB_LEN];

	assert_int_equal(lt_ed25519_keygen(seed, pub), LETHE_OK);
	assert_int_equal(lt_db_meta_set(f->db, "evidence_pub", pub, sizeof(pub)), LETHE_OK);
}

static void test_checkpoints(void **state)
{
	struct audit_fx *f = *state;
	uint8_t seed[LT_ED25519_PRIV_LEN];
	struct problems p;
	uint64_t records = 0;

	evidence_key(f, seed);
	append_n(f, 3);
	checkpoint(f, seed);
	append_n(f, 2);
	checkpoint(f, seed);
	assert_true(verify(f, &p, &records));
	assert_int_equal(records, 5);
}

/* Deleting the newest records leaves a chain that holds; the checkpoint does not. */
static void test_truncated_after_checkpoint(void **state)
{
	struct audit_fx *f = *state;
	uint8_t seed[LT_ED25519_PRIV_LEN];
	struct problems p;

	evidence_key(f, seed);
	append_n(f, 4);
	checkpoint(f, seed);
	/* the newest record alone */
	audit_fx_sql(f, UNGUARD "DELETE FROM audit WHERE seq = 4;");
	assert_false(verify(f, &p, NULL));
	assert_int_equal(p.n, 1);
	assert_string_equal(p.where[0], "audit checkpoint 1");
	assert_string_equal(p.what[0], "signed record 4 but the log ends at 3: the newest records "
				       "were deleted");
	audit_fx_sql(f, "DELETE FROM audit WHERE seq >= 2;");
	assert_false(verify(f, &p, NULL));
	assert_string_equal(p.what[0], "signed record 4 but the log ends at 1: the newest records "
				       "were deleted");
}

static void test_forged_checkpoint(void **state)
{
	struct audit_fx *f = *state;
	uint8_t seed[LT_ED25519_PRIV_LEN];
	struct problems p;

	evidence_key(f, seed);
	append_n(f, 2);
	checkpoint(f, seed);
	audit_fx_sql(f, "DROP TRIGGER checkpoints_no_update;"
			"UPDATE checkpoints SET json = replace(json, '\"audit_seq\":2', "
			"'\"audit_seq\":1');");
	assert_false(verify(f, &p, NULL));
	assert_string_equal(p.where[0], "audit checkpoint 1");
	assert_string_equal(p.what[0], "signature does not verify");

	/* without the public key no checkpoint can be checked */
	audit_fx_sql(f, "DELETE FROM meta WHERE key = 'evidence_pub';");
	assert_false(verify(f, &p, NULL));
	assert_string_equal(p.what[0], "no evidence public key in store");
}

/* A record rewritten with a valid chain (by someone holding the key) still differs from what
 * the checkpoint signed. */
static void test_checkpoint_mac_changed(void **state)
{
	struct audit_fx *f = *state;
	uint8_t seed[LT_ED25519_PRIV_LEN];
	struct problems p;

	evidence_key(f, seed);
	append_n(f, 2);
	checkpoint(f, seed);
	audit_fx_sql(f, UNGUARD "DELETE FROM audit;");
	audit_fx_append(f, &(struct lt_audit_event){.action = "init"});
	audit_fx_append(f, &(struct lt_audit_event){.action = "get"});
	assert_false(verify(f, &p, NULL));
	assert_int_equal(p.n, 1);
	assert_string_equal(p.where[0], "audit checkpoint 1");
	assert_string_equal(p.what[0], "the record it signed has a different MAC now");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, audit_fx_setup, audit_fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_intact),
	    T(test_edited_record),
	    T(test_deleted_record),
	    T(test_renumbered),
	    T(test_wrong_key),
	    T(test_checkpoints),
	    T(test_truncated_after_checkpoint),
	    T(test_forged_checkpoint),
	    T(test_checkpoint_mac_changed),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
