/* test_audit_roster.c - the officer roster replayed from the log (audit/roster.c): the detail
 * of officer.add/remove records, old and new, and the contradictions audit verify reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "audit/audit.h"

static struct lt_db_audit rec(uint64_t seq, const char *action, const char *actor,
			      const char *detail)
{
	struct lt_db_audit r;

	memset(&r, 0, sizeof(r));
	r.seq = seq;
	snprintf(r.action, sizeof(r.action), "%s", action);
	snprintf(r.keyslot, sizeof(r.keyslot), "%s", actor);
	snprintf(r.outcome, sizeof(r.outcome), "ok");
	snprintf(r.error, sizeof(r.error), "%s", detail);
	return r;
}

static void test_detail(void **state)
{
	char buf[96], name[LETHE_OFFICER_MAX + 1];
	uint32_t serial;
	int keyslot;

	(void) state;
	lt_audit_officer_detail(buf, sizeof(buf), "bob", 3, 7);
	assert_string_equal(buf, "bob keyslot=3 roster=7");
	assert_true(lt_audit_officer_detail_parse(buf, name, &keyslot, &serial));
	assert_string_equal(name, "bob");
	assert_int_equal(keyslot, 3);
	assert_int_equal(serial, 7);
	/* a record of an earlier release: the name alone */
	assert_true(lt_audit_officer_detail_parse("carol", name, &keyslot, &serial));
	assert_string_equal(name, "carol");
	assert_int_equal(keyslot, -1);
	assert_int_equal(serial, 0);
	assert_false(lt_audit_officer_detail_parse("", name, &keyslot, &serial));
	assert_false(
	    lt_audit_officer_detail_parse("bob keyslot=x roster=1", name, &keyslot, &serial));
	assert_false(
	    lt_audit_officer_detail_parse("bob keyslot=1 roster=1 more", name, &keyslot, &serial));
	assert_false(lt_audit_officer_detail_parse("b\"ob", name, &keyslot, &serial));
}

static void test_replay(void **state)
{
	struct lt_audit_roster r;
	struct lt_db_audit x;
	char why[200];

	(void) state;
	memset(&r, 0, sizeof(r));
	x = rec(1, "init", "alice", LT_AUDIT_INIT_AUTHORITY "00; row MACs sealed");
	assert_true(lt_audit_roster_begins(&x));
	assert_true(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	assert_non_null(lt_audit_roster_find(&r, "alice"));
	x = rec(2, "officer.add", "alice", "bob keyslot=1 roster=2");
	assert_true(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	x = rec(3, "officer.remove", "bob", "alice keyslot=0 roster=3");
	assert_true(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	assert_null(lt_audit_roster_find(&r, "alice"));
	assert_int_equal(r.serial, 3);
	assert_int_equal(r.seq, 3);
	/* an earlier release's record: the name alone */
	x = rec(4, "officer.add", "bob", "dave");
	assert_true(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	assert_int_equal(lt_audit_roster_find(&r, "dave")->keyslot, -1);
	/* contradictions */
	x = rec(5, "officer.add", "bob", "dave keyslot=0 roster=4");
	assert_false(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	assert_non_null(strstr(why, "on the roster already"));
	x = rec(6, "officer.add", "bob", "erin keyslot=1 roster=5");
	assert_false(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	assert_non_null(strstr(why, "gives keyslot 1 to \"erin\", but the log gave it to \"bob\""));
	x = rec(7, "officer.remove", "bob", "alice keyslot=0 roster=6");
	assert_false(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	assert_non_null(strstr(why, "not on the roster"));
	assert_true(lt_audit_roster_removed(&r, "alice"));
	assert_false(lt_audit_roster_removed(&r, "bob"));
	/* a change whose record a crash lost (the serial skips one): bob's removal, then his
	 * keyslot given to frank; nothing to report */
	x = rec(8, "officer.add", "dave", "frank keyslot=1 roster=8");
	assert_true(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	assert_null(lt_audit_roster_find(&r, "bob"));
	assert_int_equal(lt_audit_roster_find(&r, "frank")->keyslot, 1);
	/* failures change nothing */
	x = rec(9, "officer.add", "bob", "no such thing");
	snprintf(x.outcome, sizeof(x.outcome), "failed");
	assert_true(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	/* a migration begins the roster again */
	x = rec(10, "officer.migrate", "carol", "officer authority 00");
	assert_true(lt_audit_roster_apply(&r, &x, why, sizeof(why)));
	assert_int_equal(r.count, 1);
	assert_int_equal(lt_audit_roster_find(&r, "carol")->keyslot, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detail),
	    cmocka_unit_test(test_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
