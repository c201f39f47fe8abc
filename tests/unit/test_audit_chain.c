/* test_audit_chain.c - unit tests of audit/chain.c: appended records are numbered and each MAC
 * chains to the one before; their syslog lines wait for the commit and are dropped by a
 * rollback; failures before unlock go to audit_pending and to syslog at once, and are folded
 * into the chain in order; a record that could not be written is reported to syslog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "audit_fixture.h"

struct collect {
	struct lt_db_audit rec[8];
	size_t n;
};

static int collect_one(const struct lt_db_audit *rec, void *ctx)
{
	struct collect *c = ctx;

	assert_true(c->n < 8);
	c->rec[c->n++] = *rec;
	return 0;
}

static void collect_chain(struct audit_fx *f, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(lt_db_audit_list(f->db, 0, INT64_MIN, collect_one, c), LETHE_OK);
}

/* Record n's MAC is lt_audit_mac over record n chained to record n-1's (zeros for the first). */
static void assert_chained(struct audit_fx *f, const struct collect *c)
{
	uint8_t prev[32] = {0}, mac[32];
	size_t i;

	for (i = 0; i < c->n; i++) {
		assert_int_equal(c->rec[i].seq, i + 1);
		assert_int_equal(lt_audit_mac(f->key, &c->rec[i], prev, mac), LETHE_OK);
		assert_memory_equal(mac, c->rec[i].mac, 32);
		memcpy(prev, mac, 32);
	}
}

static void test_append_chains(void **state)
{
	struct audit_fx *f = *state;
	struct collect c;
	int64_t before = lt_now_us();

	audit_fx_append(f, &(struct lt_audit_event){.action = "init"});
	audit_fx_append(f,
			&(struct lt_audit_event){.action = "put",
						 .object = "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
						 .group = "docs"});
	audit_fx_append(f, &(struct lt_audit_event){.action = "rm",
						    .err = LETHE_ERR_NOT_EXPIRED,
						    .error = "retained until 2031"});
	collect_chain(f, &c);
	assert_int_equal(c.n, 3);
	assert_chained(f, &c);
	assert_string_equal(c.rec[1].action, "put");
	assert_string_equal(c.rec[1].group, "docs");
	assert_string_equal(c.rec[1].user, "alice");
	assert_string_equal(c.rec[1].keyslot, "service");
	assert_int_equal(c.rec[1].uid, 1001);
	assert_int_equal(c.rec[1].pid, 4242);
	assert_string_equal(c.rec[1].host, "db1.example");
	assert_string_equal(c.rec[2].outcome, "refused");
	assert_string_equal(c.rec[2].error, "retained until 2031");
	assert_true(c.rec[0].time_us >= before && c.rec[2].time_us <= lt_now_us());
}

/* Lines reach syslog only when the caller flushes after its commit; a rollback drops both the
 * record and its line. */
static void test_queue_waits_for_commit(void **state)
{
	struct audit_fx *f = *state;
	struct audit_sink s;
	struct collect c;

	memset(&s, 0, sizeof(s));
	lt_syslog_set_sink(audit_sink_fn, &s);
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(
	    lt_audit_event_append(&f->log, &f->actor, &(struct lt_audit_event){.action = "put"}),
	    LETHE_OK);
	assert_int_equal(
	    lt_audit_event_append(&f->log, &f->actor,
				  &(struct lt_audit_event){.action = "rm", .err = LETHE_ERR_HELD}),
	    LETHE_OK);
	assert_int_equal(f->queue.len, 2);
	assert_int_equal(s.lines, 0);
	lt_db_rollback(f->db);
	lt_audit_queue_flush(&f->queue, false);
	assert_int_equal(f->queue.len, 0);
	assert_int_equal(s.lines, 0);
	collect_chain(f, &c);
	assert_int_equal(c.n, 0);

	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(
	    lt_audit_event_append(&f->log, &f->actor, &(struct lt_audit_event){.action = "put"}),
	    LETHE_OK);
	assert_int_equal(
	    lt_audit_event_append(&f->log, &f->actor,
				  &(struct lt_audit_event){.action = "rm", .err = LETHE_ERR_HELD}),
	    LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	lt_audit_queue_flush(&f->queue, true);
	assert_int_equal(s.lines, 2);
	/* the refusal at LOG_WARNING, the put at LOG_INFO */
	assert_int_equal(s.warnings, 1);
	assert_non_null(strstr(s.line[0], "seq=1 "));
	assert_non_null(strstr(s.line[0], " action=put outcome=ok "));
	assert_non_null(strstr(s.line[1], "seq=2 "));
	assert_non_null(strstr(s.line[1], " action=rm outcome=refused "));
	assert_int_equal(f->queue.len, 0);
}

/* Without a queue (syslog off in the config) nothing is forwarded; the chain is the same. */
static void test_no_queue_no_syslog(void **state)
{
	struct audit_fx *f = *state;
	struct audit_sink s;
	struct collect c;

	memset(&s, 0, sizeof(s));
	lt_syslog_set_sink(audit_sink_fn, &s);
	f->log.syslog = NULL;
	audit_fx_append(f, &(struct lt_audit_event){.action = "get"});
	lt_audit_queue_flush(&f->queue, true);
	assert_int_equal(s.lines, 0);
	collect_chain(f, &c);
	assert_int_equal(c.n, 1);
	assert_chained(f, &c);
}

/* Failures before unlock: stored unchained and sent at once, then folded in order after what
 * the chain holds, each a security event. */
static void test_pending_fold(void **state)
{
	struct audit_fx *f = *state;
	struct lt_audit_actor nobody = {.uid = 1002, .pid = 7};
	struct audit_sink s;
	struct collect c;

	strcpy(nobody.user, "bob");
	strcpy(nobody.keyslot, "officer");
	strcpy(nobody.host, "h2");
	audit_fx_append(f, &(struct lt_audit_event){.action = "init"});
	memset(&s, 0, sizeof(s));
	lt_syslog_set_sink(audit_sink_fn, &s);
	lt_audit_pending_add(f->db, true, &nobody,
			     &(struct lt_audit_event){.action = "unlock",
						      .err = LETHE_ERR_UNLOCK,
						      .error = "no keyslot opens"});
	lt_audit_pending_add(f->db, false, &nobody,
			     &(struct lt_audit_event){.action = "open",
						      .err = LETHE_ERR_PERMISSION,
						      .error = "keystore.luks is 0644"});
	/* no database: syslog only */
	lt_audit_pending_add(NULL, true, &nobody,
			     &(struct lt_audit_event){.action = "open", .err = LETHE_ERR_CONFIG});
	assert_int_equal(s.lines, 2);
	assert_int_equal(s.warnings, 1);
	assert_non_null(strstr(s.line[0], "seq=0 mac=- "));
	assert_non_null(strstr(s.line[0], " action=unlock outcome=failed "));
	assert_non_null(strstr(s.line[0], " user=bob keyslot=officer "));
	assert_non_null(strstr(s.line[1], " action=open outcome=failed "));
	collect_chain(f, &c);
	assert_int_equal(c.n, 1);

	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_audit_pending_fold(&f->log), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	collect_chain(f, &c);
	assert_int_equal(c.n, 3);
	assert_chained(f, &c);
	assert_string_equal(c.rec[1].action, "unlock");
	assert_string_equal(c.rec[1].user, "bob");
	/* written without a key: marked (under the MAC), attributed to no keyslot, the claims
	 * kept as text */
	assert_true(c.rec[1].unauthenticated);
	assert_true(c.rec[2].unauthenticated);
	assert_false(c.rec[0].unauthenticated);
	assert_string_equal(c.rec[1].keyslot, "");
	assert_non_null(strstr(c.rec[1].error, "keyslot \"officer\": no keyslot opens"));
	assert_non_null(strstr(c.rec[1].error, "pending since "));
	assert_string_equal(c.rec[2].action, "open");
	assert_string_equal(c.rec[2].outcome, "refused");
	/* folded lines go out again with their place in the chain, at LOG_INFO: the failure
	 * itself went out at LOG_WARNING when it happened, and a SIEM must count it once */
	assert_int_equal(f->queue.len, 2);
	memset(&s, 0, sizeof(s));
	lt_audit_queue_flush(&f->queue, true);
	assert_int_equal(s.lines, 2);
	assert_int_equal(s.warnings, 0);
	assert_non_null(strstr(s.line[0], "seq=2 mac="));
	assert_non_null(strstr(s.line[1], "seq=3 mac="));
	assert_non_null(strstr(s.line[0], " unauthenticated=true"));

	/* nothing left to fold */
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_equal(lt_audit_pending_fold(&f->log), LETHE_OK);
	assert_int_equal(lt_db_commit(f->db), LETHE_OK);
	collect_chain(f, &c);
	assert_int_equal(c.n, 3);
}

/* A failing insert fails the append and queues nothing. */
static void test_append_failure(void **state)
{
	struct audit_fx *f = *state;

	audit_fx_sql(f, "CREATE TRIGGER refuse BEFORE INSERT ON audit "
			"BEGIN SELECT RAISE(ABORT, 'disk says no'); END;");
	assert_int_equal(lt_db_begin(f->db), LETHE_OK);
	assert_int_not_equal(
	    lt_audit_event_append(&f->log, &f->actor, &(struct lt_audit_event){.action = "put"}),
	    LETHE_OK);
	lt_db_rollback(f->db);
	assert_int_equal(f->queue.len, 0);
}

static void test_report_unwritten(void **state)
{
	struct audit_sink s;

	(void) state;
	memset(&s, 0, sizeof(s));
	lt_syslog_set_sink(audit_sink_fn, &s);
	lt_audit_report_unwritten("get", "database is locked");
	assert_int_equal(s.lines, 1);
	assert_int_equal(s.warnings, 1);
	assert_string_equal(s.line[0], "action=get outcome=failed error=\"audit record could not "
				       "be written: database is locked\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_append_chains, audit_fx_setup, audit_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_queue_waits_for_commit, audit_fx_setup,
					    audit_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_no_queue_no_syslog, audit_fx_setup,
					    audit_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_pending_fold, audit_fx_setup, audit_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_append_failure, audit_fx_setup, audit_fx_teardown),
	    cmocka_unit_test_setup_teardown(test_report_unwritten, audit_fx_setup,
					    audit_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
