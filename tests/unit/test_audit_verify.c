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
	struct lt_ed25519_key *signer = NULL;

	assert_int_equal(lt_ed25519_key_new(seed, &signer), LETHE_OK);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(
	    lt_audit_checkpoint_add(f->db, "0b3c6c7e-4f1a-4e1b-9c2d-3e4f5a6b7c8d", signer, &cp),
	    LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	lt_audit_checkpoint_free(&cp);
	lt_ed25519_key_free(signer);
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
	assert_string_equal(p.what[0], "names record 4 but the log ends at 3: the newest records "
				       "were deleted");
	audit_fx_sql(f, "DELETE FROM audit WHERE seq >= 2;");
	assert_false(verify(f, &p, NULL));
	assert_string_equal(p.what[0], "names record 4 but the log ends at 1: the newest records "
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
	assert_string_equal(p.what[0],
			    "names this seq with another MAC: the log was rewritten from "
			    "there on");
}

/* The unsigned audit_seq/audit_mac columns lowered, then the tail deleted: verification reads
 * what the checkpoint signed, so the cut is found, and so is the edit. */
static void test_checkpoint_columns_lowered(void **state)
{
	struct audit_fx *f = *state;
	uint8_t seed[LT_ED25519_PRIV_LEN];
	struct problems p;

	evidence_key(f, seed);
	append_n(f, 5);
	checkpoint(f, seed);
	audit_fx_sql(f, UNGUARD "DROP TRIGGER checkpoints_no_update;"
				"UPDATE checkpoints SET audit_seq = 2, audit_mac = "
				"(SELECT mac FROM audit WHERE seq = 2);"
				"DELETE FROM audit WHERE seq > 2;");
	assert_false(verify(f, &p, NULL));
	assert_int_equal(p.n, 2);
	assert_string_equal(p.where[0], "audit checkpoint 1");
	assert_non_null(strstr(p.what[0], "columns differ from what it signed"));
	assert_string_equal(p.what[1], "names record 5 but the log ends at 2: the newest records "
				       "were deleted");
}

/* A mark kept outside meta.db (the keystore's anchor): the whole log deleted, its tail cut,
 * or the record it names rewritten, each fails. */
static void test_marks(void **state)
{
	struct audit_fx *f = *state;
	struct lt_audit_mark mark = {.what = "audit anchor"};
	struct lt_audit_verify_opts o = {
	    .key = f->key, .marks = &mark, .nmarks = 1, .fn = on_problem};
	struct problems p;
	bool intact = true;

	append_n(f, 4);
	mark.head.seq = 4;
	assert_int_equal(lt_db_audit_last(f->db, &mark.head.seq, mark.head.mac), LETHE_OK);
	memset(&p, 0, sizeof(p));
	o.ctx = &p;
	assert_int_equal(lt_audit_verify_with(f->db, &o, NULL, &intact), LETHE_OK);
	assert_true(intact);
	/* the log grew past it: fine */
	append_n(f, 1);
	assert_int_equal(lt_audit_verify_with(f->db, &o, NULL, &intact), LETHE_OK);
	assert_true(intact);
	audit_fx_sql(f, UNGUARD "DELETE FROM audit WHERE seq >= 4;");
	assert_int_equal(lt_audit_verify_with(f->db, &o, NULL, &intact), LETHE_OK);
	assert_false(intact);
	assert_string_equal(p.where[0], "audit anchor");
	assert_string_equal(p.what[0], "names record 4 but the log ends at 3: the newest records "
				       "were deleted");
	/* the log cut and grown again past the mark */
	append_n(f, 3);
	memset(&p, 0, sizeof(p));
	assert_int_equal(lt_audit_verify_with(f->db, &o, NULL, &intact), LETHE_OK);
	assert_false(intact);
	assert_string_equal(p.where[0], "audit anchor");
	assert_non_null(strstr(p.what[0], "another MAC"));
	audit_fx_sql(f, "DELETE FROM audit;");
	memset(&p, 0, sizeof(p));
	assert_int_equal(lt_audit_verify_with(f->db, &o, NULL, &intact), LETHE_OK);
	assert_false(intact);
	assert_string_equal(p.what[0], "names record 4 but the log is empty: it was deleted");
}

/* Append a record written at @p time_us, chained as lethe chains it (a clock set elsewhere). */
static void append_at(struct audit_fx *f, const char *action, int64_t time_us)
{
	struct lt_db_audit rec;
	uint8_t prev[32];
	uint64_t seq;

	lt_audit_record_fill(&rec, &f->actor, &(struct lt_audit_event){.action = action}, time_us);
	assert_int_equal(lt_db_audit_last(f->db, &seq, prev), LETHE_OK);
	rec.seq = seq + 1;
	assert_int_equal(lt_audit_mac(f->key, &rec, prev, rec.mac), LETHE_OK);
	assert_int_equal(lt_db_audit_insert(f->db, &rec), LETHE_OK);
}

/* Times that go backwards, or lie in the future, are reported; the walk goes on. */
static void test_times(void **state)
{
	struct audit_fx *f = *state;
	int64_t now = lt_now_us(), hour = INT64_C(3600000000);
	struct problems p;
	uint64_t records = 0;

	append_at(f, "init", now - 2 * hour);
	append_at(f, "put", now - hour);
	/* within the slack: an NTP step */
	append_at(f, "get", now - hour - LT_AUDIT_BACKWARDS_SLACK_US / 2);
	assert_true(verify(f, &p, &records));
	append_at(f, "put", now - 3 * hour);
	append_at(f, "sweep", now + 87600 * hour);
	append_at(f, "get", now);
	assert_false(verify(f, &p, &records));
	assert_int_equal(records, 6);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.where[0], "audit record 4");
	assert_non_null(strstr(p.what[0], "time goes backwards"));
	assert_string_equal(p.where[1], "audit record 5");
	assert_non_null(strstr(p.what[1], "lies in the future"));
	assert_string_equal(p.where[2], "audit record 6");
	assert_non_null(strstr(p.what[2], "time goes backwards"));
}

#define STORE_ID "0f1e2d3c-4b5a-4968-8776-655443322110"

/* Verify with the officer authority @p pub; *@p exempt counts the records before it. */
static bool verify_officer(struct audit_fx *f, const uint8_t *pub, struct problems *p,
			   uint64_t *exempt)
{
	struct lt_audit_verify_opts o = {.key = f->key,
					 .store_id = STORE_ID,
					 .officer_pub = pub,
					 .officer_exempt = exempt,
					 .fn = on_problem,
					 .ctx = p};
	bool intact = false;

	memset(p, 0, sizeof(*p));
	assert_int_equal(lt_audit_verify_with(f->db, &o, NULL, &intact), LETHE_OK);
	assert_int_equal(intact, p->n == 0);
	return intact;
}

static struct lt_ed25519_key *oak_new(uint8_t pub[LT_ED25519_PUB_LEN])
{
	uint8_t seed[LT_ED25519_PRIV_LEN];
	struct lt_ed25519_key *k = NULL;

	assert_int_equal(lt_ed25519_keygen(seed, pub), LETHE_OK);
	assert_int_equal(lt_ed25519_key_new(seed, &k), LETHE_OK);
	return k;
}

/* As an officer (signed by @p oak) or, with NULL, as the service. */
static void append_as(struct audit_fx *f, struct lt_ed25519_key *oak, const char *keyslot,
		      const struct lt_audit_event *ev)
{
	f->log.officer = oak;
	f->log.store_id = STORE_ID;
	strcpy(f->actor.keyslot, keyslot);
	audit_fx_append(f, ev);
	f->log.officer = NULL;
}

/* A store made with its authority: every officer record is signed and verifies; an officer
 * action the service (which holds the chain key) writes, a signature removed or made by
 * another key, and a service record claiming an officer's keyslot are each reported. */
static void test_officer_signatures(void **state)
{
	struct audit_fx *f = *state;
	uint8_t pub[LT_ED25519_PUB_LEN], other_pub[LT_ED25519_PUB_LEN];
	struct lt_ed25519_key *oak = oak_new(pub), *other = oak_new(other_pub);
	struct problems p;
	uint64_t exempt = 99;

	append_as(
	    f, oak, "alice",
	    &(struct lt_audit_event){.action = "init", .error = LT_AUDIT_INIT_AUTHORITY "ab"});
	append_as(f, NULL, "service", &(struct lt_audit_event){.action = "put"});
	append_as(f, oak, "alice", &(struct lt_audit_event){.action = "hold.clear"});
	/* refused: the service asked, nothing happened */
	append_as(f, NULL, "service",
		  &(struct lt_audit_event){.action = "hold.clear", .err = LETHE_ERR_NOT_OFFICER});
	assert_true(verify_officer(f, pub, &p, &exempt));
	assert_int_equal(exempt, 0);
	/* the OAK of another authority */
	assert_false(verify_officer(f, other_pub, &p, NULL));
	assert_int_equal(p.n, 2);
	assert_string_equal(p.where[0], "audit record 1");
	assert_string_equal(p.what[0], "officer action without a valid officer signature");
	assert_string_equal(p.where[1], "audit record 3");

	/* the service forges a hold clear, a forced rm, and claims an officer's keyslot */
	append_as(f, NULL, "service", &(struct lt_audit_event){.action = "hold.clear"});
	append_as(
	    f, NULL, "service",
	    &(struct lt_audit_event){.action = "rm", .error = "forced early shred by officer"});
	append_as(f, NULL, "alice", &(struct lt_audit_event){.action = "get"});
	append_as(f, other, "alice", &(struct lt_audit_event){.action = "key.rotate"});
	assert_false(verify_officer(f, pub, &p, NULL));
	assert_int_equal(p.n, 4);
	assert_string_equal(p.where[0], "audit record 5");
	assert_string_equal(p.where[1], "audit record 6");
	assert_string_equal(p.where[2], "audit record 7");
	assert_string_equal(p.where[3], "audit record 8");
	assert_string_equal(p.what[3], "officer action without a valid officer signature");
	/* without a pinned authority nothing is checked */
	assert_true(verify_officer(f, NULL, &p, NULL));
	lt_ed25519_key_free(oak);
	lt_ed25519_key_free(other);
}

/* The signature is not under the chain MAC: removing it (anyone who can write meta.db can) is
 * reported, not silently accepted. */
static void test_officer_signature_removed(void **state)
{
	struct audit_fx *f = *state;
	uint8_t pub[LT_ED25519_PUB_LEN];
	struct lt_ed25519_key *oak = oak_new(pub);
	struct problems p;

	append_as(
	    f, oak, "alice",
	    &(struct lt_audit_event){.action = "init", .error = LT_AUDIT_INIT_AUTHORITY "ab"});
	append_as(
	    f, oak, "alice",
	    &(struct lt_audit_event){.action = "officer.add", .error = "bob keyslot=1 roster=2"});
	assert_true(verify_officer(f, pub, &p, NULL));
	audit_fx_sql(f, UNGUARD "UPDATE audit SET auth_sig = NULL WHERE seq = 2;");
	assert_false(verify_officer(f, pub, &p, NULL));
	assert_int_equal(p.n, 1);
	assert_string_equal(p.where[0], "audit record 2");
	/* a signature of another record: it names its seq and MAC */
	audit_fx_sql(f, "UPDATE audit SET auth_sig = (SELECT auth_sig FROM audit WHERE "
			"seq = 1) WHERE seq = 2;");
	assert_false(verify_officer(f, pub, &p, NULL));
	assert_string_equal(p.where[0], "audit record 2");
	lt_ed25519_key_free(oak);
}

/* A store made before officers.luks: its records before officer.migrate are exempt (and
 * counted), the migration record and all after it are checked. */
static void test_officer_migrated(void **state)
{
	struct audit_fx *f = *state;
	uint8_t pub[LT_ED25519_PUB_LEN];
	struct lt_ed25519_key *oak = oak_new(pub);
	struct problems p;
	uint64_t exempt = 0;

	append_as(f, NULL, "alice", &(struct lt_audit_event){.action = "init"});
	append_as(f, NULL, "alice", &(struct lt_audit_event){.action = "hold.clear"});
	append_as(f, oak, "alice", &(struct lt_audit_event){.action = "officer.migrate"});
	append_as(f, oak, "alice", &(struct lt_audit_event){.action = "key.retire"});
	assert_true(verify_officer(f, pub, &p, &exempt));
	assert_int_equal(exempt, 2);
	append_as(f, NULL, "service",
		  &(struct lt_audit_event){.action = "officer.remove",
					   .error = "alice keyslot=0 roster=2"});
	assert_false(verify_officer(f, pub, &p, NULL));
	assert_int_equal(p.n, 1);
	assert_string_equal(p.where[0], "audit record 5");
	lt_ed25519_key_free(oak);
}

/* The log says who is an officer: a signed record by an officer it removed (written under an
 * older roster put back into officers.luks), or an addition onto a keyslot it gave someone
 * else, is reported; an officer removing themselves is not. */
static void test_officer_roster(void **state)
{
	struct audit_fx *f = *state;
	uint8_t pub[LT_ED25519_PUB_LEN];
	struct lt_ed25519_key *oak = oak_new(pub);
	struct problems p;

	append_as(
	    f, oak, "alice",
	    &(struct lt_audit_event){.action = "init", .error = LT_AUDIT_INIT_AUTHORITY "ab"});
	append_as(
	    f, oak, "alice",
	    &(struct lt_audit_event){.action = "officer.add", .error = "bob keyslot=1 roster=2"});
	append_as(f, oak, "alice",
		  &(struct lt_audit_event){.action = "officer.remove",
					   .error = "alice keyslot=0 roster=3"});
	append_as(
	    f, oak, "bob",
	    &(struct lt_audit_event){.action = "officer.add", .error = "dave keyslot=0 roster=4"});
	assert_true(verify_officer(f, pub, &p, NULL));
	/* dave's hold clear, logged as alice under the init-time roster replayed */
	append_as(f, oak, "alice", &(struct lt_audit_event){.action = "hold.clear"});
	append_as(
	    f, oak, "bob",
	    &(struct lt_audit_event){.action = "officer.add", .error = "erin keyslot=1 roster=5"});
	assert_false(verify_officer(f, pub, &p, NULL));
	assert_int_equal(p.n, 2);
	assert_string_equal(p.where[0], "audit record 5");
	assert_non_null(strstr(p.what[0], "by officer \"alice\", whom the log removed"));
	assert_string_equal(p.where[1], "audit record 6");
	assert_non_null(strstr(p.what[1], "gives keyslot 1 to \"erin\""));
	lt_ed25519_key_free(oak);
}

/* A store made with its authority never has an exempt part: an officer.migrate record added
 * later moves nothing. */
static void test_officer_born(void **state)
{
	struct audit_fx *f = *state;
	uint8_t pub[LT_ED25519_PUB_LEN];
	struct lt_ed25519_key *oak = oak_new(pub);
	struct problems p;
	uint64_t exempt = 99;

	append_as(
	    f, oak, "alice",
	    &(struct lt_audit_event){.action = "init", .error = LT_AUDIT_INIT_AUTHORITY "ab"});
	append_as(f, NULL, "service", &(struct lt_audit_event){.action = "hold.clear"});
	append_as(f, NULL, "service", &(struct lt_audit_event){.action = "officer.migrate"});
	assert_false(verify_officer(f, pub, &p, &exempt));
	assert_int_equal(exempt, 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.where[0], "audit record 2");
	assert_string_equal(p.where[1], "audit record 3");
	lt_ed25519_key_free(oak);
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
	    T(test_checkpoint_columns_lowered),
	    T(test_marks),
	    T(test_times),
	    T(test_officer_signatures),
	    T(test_officer_signature_removed),
	    T(test_officer_roster),
	    T(test_officer_migrated),
	    T(test_officer_born),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
