/* test_retention_policy.c - the retention decision table, exhaustively; what rm, the sweep,
 * put and extend are told; retain_until. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/err.h"
#include "retention/policy.h"

/* 2027-01-01T00:00:00Z */
#define UNTIL INT64_C(1798761600)

/*
 * The policy as an auditor reads it: the first row that matches decides. -1 is "any".
 * Written independently of policy.c's code, and checked against it for every combination.
 */
struct rule {
	int held;    /* object or group hold */
	int expired; /* retain_until <= now */
	int locked;
	int force;
	int officer;
	enum lethe_err result;
};

static const struct rule decision_table[] = {
    {1, -1, -1, -1, -1, LETHE_ERR_HELD},    {0, 1, -1, -1, -1, LETHE_OK},
    {0, 0, 1, -1, -1, LETHE_ERR_LOCKED},    {0, 0, 0, 0, -1, LETHE_ERR_NOT_EXPIRED},
    {0, 0, 0, 1, 0, LETHE_ERR_NOT_OFFICER}, {0, 0, 0, 1, 1, LETHE_OK},
};

static bool cell_matches(int cell, bool value)
{
	return cell == -1 || cell == (int) value;
}

static enum lethe_err expected_result(bool held, bool expired, const struct lt_shred_request *r)
{
	for (size_t i = 0; i < sizeof(decision_table) / sizeof(decision_table[0]); i++) {
		const struct rule *row = &decision_table[i];

		if (cell_matches(row->held, held) && cell_matches(row->expired, expired) &&
		    cell_matches(row->locked, r->group_locked) &&
		    cell_matches(row->force, r->force) && cell_matches(row->officer, r->officer))
			return row->result;
	}
	fail_msg("decision table has no row for this case");
	return LETHE_ERR_INTERNAL;
}

/* (now, retain_until) pairs on each side of the boundary, and at the extremes. */
struct moment {
	int64_t now;
	int64_t retain_until;
	bool expired;
};

static const struct moment moments[] = {
    {UNTIL - 1, UNTIL, false},
    {UNTIL, UNTIL, true}, /* an object may go at retain_until itself */
    {UNTIL + 1, UNTIL, true},
    {0, UNTIL, false},
    {INT64_MIN, LT_RETENTION_TIME_MAX, false},
    {INT64_MAX, UNTIL, true},
    {LT_RETENTION_TIME_MAX, LT_RETENTION_TIME_MAX, true},
};

static void test_decision_table_exhaustive(void **state)
{
	size_t checked = 0;

	(void) state;
	for (size_t m = 0; m < sizeof(moments) / sizeof(moments[0]); m++) {
		for (unsigned bits = 0; bits < 32; bits++) {
			struct lt_shred_request req = {
			    .now = moments[m].now,
			    .retain_until = moments[m].retain_until,
			    .object_hold = bits & 1,
			    .group_hold = bits & 2,
			    .group_locked = bits & 4,
			    .force = bits & 8,
			    .officer = bits & 16,
			};
			bool held = req.object_hold || req.group_hold;
			enum lethe_err want = expected_result(held, moments[m].expired, &req);

			lt_err_clear();
			assert_int_equal(lt_retention_may_shred(&req), want);
			/* Every refusal says why; a permission leaves no stale reason behind. */
			if (want != LETHE_OK)
				assert_true(strlen(lt_err_detail()) > 0);
			else
				assert_string_equal(lt_err_detail(), "");
			checked++;
		}
	}
	assert_int_equal(checked, 7 * 32);
}

static enum lethe_err decide(bool object_hold, bool group_hold, bool locked, bool force,
			     bool officer)
{
	struct lt_shred_request req = {
	    .now = UNTIL - 86400,
	    .retain_until = UNTIL,
	    .object_hold = object_hold,
	    .group_hold = group_hold,
	    .group_locked = locked,
	    .force = force,
	    .officer = officer,
	};

	lt_err_clear();
	return lt_retention_may_shred(&req);
}

static void test_details(void **state)
{
	(void) state;
	assert_int_equal(decide(true, true, true, true, true), LETHE_ERR_HELD);
	assert_string_equal(lt_err_detail(), "object is on legal hold");
	assert_int_equal(decide(false, true, false, false, false), LETHE_ERR_HELD);
	assert_string_equal(lt_err_detail(), "group is on legal hold");
	assert_int_equal(decide(false, false, true, true, true), LETHE_ERR_LOCKED);
	assert_string_equal(lt_err_detail(),
			    "group is locked (compliance mode) until 2027-01-01T00:00:00Z");
	assert_int_equal(decide(false, false, false, false, true), LETHE_ERR_NOT_EXPIRED);
	assert_string_equal(lt_err_detail(), "retained until 2027-01-01T00:00:00Z "
					     "(an officer may force an early shred)");
	assert_int_equal(decide(false, false, false, true, false), LETHE_ERR_NOT_OFFICER);
	assert_string_equal(lt_err_detail(), "retained until 2027-01-01T00:00:00Z: "
					     "a forced early shred needs an officer");
	assert_int_equal(decide(false, false, false, true, true), LETHE_OK);
}

/* A legal hold outlasts retention: expired, held objects stay, whoever asks. */
static void test_hold_beats_expiry(void **state)
{
	struct lt_shred_request req = {.now = UNTIL + 1,
				       .retain_until = UNTIL,
				       .group_hold = true,
				       .force = true,
				       .officer = true};

	(void) state;
	assert_int_equal(lt_retention_may_shred(&req), LETHE_ERR_HELD);
	req.group_hold = false;
	req.object_hold = true;
	assert_int_equal(lt_retention_may_shred(&req), LETHE_ERR_HELD);
	req.object_hold = false;
	assert_int_equal(lt_retention_may_shred(&req), LETHE_OK);
}

static void test_retention_until(void **state)
{
	const int64_t day = 86400, t2026 = INT64_C(1767225600);

	(void) state;
	assert_int_equal(lt_retention_until(t2026, 365 * day), t2026 + 365 * day);
	assert_int_equal(lt_retention_until(t2026, 0), t2026);
	/* Never before the object existed, whatever the caller passes. */
	assert_int_equal(lt_retention_until(t2026, -1), t2026);
	assert_int_equal(lt_retention_until(t2026, INT64_MIN), t2026);
	/* Saturates at the last second RFC 3339 can write. */
	assert_int_equal(lt_retention_until(t2026, INT64_MAX), LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(INT64_MAX, 1), LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(LT_RETENTION_TIME_MAX, 0), LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(LT_RETENTION_TIME_MAX - 10, 10), LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(LT_RETENTION_TIME_MAX - 10, 11), LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(LT_RETENTION_TIME_MAX - 10, 9),
			 LT_RETENTION_TIME_MAX - 1);
	assert_int_equal(lt_retention_until(INT64_MIN, INT64_MAX), -1);
	assert_int_equal(lt_retention_until(0, 100000 * 7 * day), 100000 * 7 * day);
}

/* A row of @p group retained until @p until, live or shredded. */
static struct lt_db_object row_at(const char *group, int64_t until, bool live)
{
	struct lt_db_object row;

	memset(&row, 0, sizeof(row));
	snprintf(row.id, sizeof(row.id), "%s", "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
	snprintf(row.group, sizeof(row.group), "%s", group);
	row.retain_until = until;
	row.state = live ? LETHE_STATE_LIVE : LETHE_STATE_SHREDDED;
	return row;
}

static void test_due(void **state)
{
	struct lt_db_object row;

	(void) state;
	for (size_t m = 0; m < sizeof(moments) / sizeof(moments[0]); m++) {
		row = row_at("g", moments[m].retain_until, true);
		assert_int_equal(lt_retention_expired(row.retain_until, moments[m].now),
				 moments[m].expired);
		assert_int_equal(lt_retention_due(&row, moments[m].now), moments[m].expired);
		row.state = LETHE_STATE_SHREDDED;
		assert_false(lt_retention_due(&row, moments[m].now));
	}
}

/*
 * The sweep shreds exactly what rm without force may shred (whoever asks, locked or not),
 * keeps and reports only expired held objects, and passes over everything else quietly.
 */
static void test_sweep_action_agrees_with_rm(void **state)
{
	size_t checked = 0;

	(void) state;
	for (size_t m = 0; m < sizeof(moments) / sizeof(moments[0]); m++) {
		for (unsigned bits = 0; bits < 32; bits++) {
			struct lt_db_object row =
			    row_at("g", moments[m].retain_until, !(bits & 16));
			struct lt_retention_object o = {
			    .row = &row, .group_hold = bits & 2, .group_hold_reason = "case 1"};
			struct lt_shred_request req = {
			    .now = moments[m].now,
			    .retain_until = row.retain_until,
			    .object_hold = bits & 1,
			    .group_hold = bits & 2,
			    .group_locked = bits & 4,
			    .officer = bits & 8,
			};
			bool live = !(bits & 16), held = req.object_hold || req.group_hold;
			enum lt_sweep_action action;

			row.hold = req.object_hold;
			lt_err_clear();
			action = lt_retention_sweep_action(&o, moments[m].now);
			assert_string_equal(lt_err_detail(), "");
			if (live && lt_retention_may_shred(&req) == LETHE_OK)
				assert_int_equal(action, LT_SWEEP_SHRED);
			else if (live && moments[m].expired && held)
				assert_int_equal(action, LT_SWEEP_HELD);
			else
				assert_int_equal(action, LT_SWEEP_KEEP);
			checked++;
		}
	}
	assert_int_equal(checked, 7 * 32);
}

static const char policy_config[] = "[retention]\ndefault = 30d\n"
				    "[group:locked]\nretention = 1d\nlock = true\n"
				    "[group:gov]\nretention = 2d\n";

static void test_may_remove(void **state)
{
	struct lt_config cfg;
	struct lt_db_object row = row_at("gov", UNTIL, true);
	struct lt_retention_object o = {.row = &row};
	bool forced = true;

	(void) state;
	assert_int_equal(lt_config_parse(policy_config, strlen(policy_config), "t.conf", &cfg),
			 LETHE_OK);
	/* expired: no force needed, nothing forced */
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL, false, false, &forced), LETHE_OK);
	assert_false(forced);
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL, true, true, &forced), LETHE_OK);
	assert_false(forced);
	/* early: an officer's force, and the certificate says forced */
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL - 1, false, true, &forced),
			 LETHE_ERR_NOT_EXPIRED);
	assert_false(forced);
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL - 1, true, false, &forced),
			 LETHE_ERR_NOT_OFFICER);
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL - 1, true, true, &forced),
			 LETHE_OK);
	assert_true(forced);
	/* locked when written: a config that no longer locks the group does not unlock it */
	row.locked = true;
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL - 1, true, true, &forced),
			 LETHE_ERR_LOCKED);
	assert_false(forced);
	/* locked now: a group locked after the write locks its objects too */
	row = row_at("locked", UNTIL, true);
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL - 1, true, true, &forced),
			 LETHE_ERR_LOCKED);
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL, false, false, &forced), LETHE_OK);
	/* holds, the object's or its group's */
	row.hold = true;
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL, true, true, &forced),
			 LETHE_ERR_HELD);
	assert_string_equal(lt_err_detail(), "object is on legal hold");
	row.hold = false;
	o.group_hold = true;
	assert_int_equal(lt_retention_may_remove(&cfg, &o, UNTIL, true, true, &forced),
			 LETHE_ERR_HELD);
	assert_string_equal(lt_err_detail(), "group is on legal hold");
	lt_config_free(&cfg);
}

static void test_object_policy(void **state)
{
	struct lt_config cfg;
	struct lt_db_object row = row_at("gov", UNTIL, true);
	struct lt_group_policy p;

	(void) state;
	assert_int_equal(lt_config_parse(policy_config, strlen(policy_config), "t.conf", &cfg),
			 LETHE_OK);
	lt_retention_object_policy(&cfg, &row, &p);
	assert_int_equal(p.retention, 2 * 86400);
	assert_false(p.lock);
	row.locked = true;
	lt_retention_object_policy(&cfg, &row, &p);
	assert_true(p.lock);
	row = row_at("other", UNTIL, true);
	lt_retention_object_policy(&cfg, &row, &p);
	assert_int_equal(p.retention, 30 * 86400);
	assert_false(p.lock);
	lt_config_free(&cfg);
}

static void test_hold_reason(void **state)
{
	struct lt_db_object row = row_at("g", UNTIL, true);
	struct lt_retention_object o = {.row = &row, .group_hold_reason = "case G"};
	char buf[LETHE_REASON_MAX + 1], small[16];

	(void) state;
	assert_false(lt_retention_hold_reason(&o, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	o.group_hold = true;
	assert_true(lt_retention_hold_reason(&o, buf, sizeof(buf)));
	assert_string_equal(buf, "group hold: case G");
	/* the object's own hold is named first */
	row.hold = true;
	snprintf(row.hold_reason, sizeof(row.hold_reason), "case O");
	assert_true(lt_retention_hold_reason(&o, buf, sizeof(buf)));
	assert_string_equal(buf, "case O");
	/* cut to fit, never overrun */
	row.hold = false;
	assert_true(lt_retention_hold_reason(&o, small, sizeof(small)));
	assert_string_equal(small, "group hold: cas");
}

static void test_on_put(void **state)
{
	struct lt_config cfg;
	struct lt_db_object row = row_at("locked", 0, true);
	const int64_t t2026 = INT64_C(1767225600);

	(void) state;
	assert_int_equal(lt_config_parse(policy_config, strlen(policy_config), "t.conf", &cfg),
			 LETHE_OK);
	lt_retention_on_put(&cfg, t2026, &row);
	assert_int_equal(row.created_at, t2026);
	assert_int_equal(row.retain_until, t2026 + 86400);
	assert_true(row.locked);
	row = row_at("unknown", 0, true);
	lt_retention_on_put(&cfg, t2026, &row);
	assert_int_equal(row.retain_until, t2026 + 30 * 86400);
	assert_false(row.locked);
	lt_retention_on_put(&cfg, LT_RETENTION_TIME_MAX - 5, &row);
	assert_int_equal(row.retain_until, LT_RETENTION_TIME_MAX);
	lt_config_free(&cfg);
}

static void test_extend_to(void **state)
{
	struct lt_db_object row = row_at("g", UNTIL, true);
	int64_t target = 0;
	bool changes = true;

	(void) state;
	assert_int_equal(lt_retention_extend_to(&row, UNTIL + 10, 0, &target, &changes), LETHE_OK);
	assert_int_equal(target, UNTIL + 10);
	assert_true(changes);
	assert_int_equal(lt_retention_extend_to(&row, 0, 86400, &target, &changes), LETHE_OK);
	assert_int_equal(target, UNTIL + 86400);
	assert_true(changes);
	/* the same time again changes nothing, and is no error */
	assert_int_equal(lt_retention_extend_to(&row, UNTIL, 0, &target, &changes), LETHE_OK);
	assert_false(changes);
	/* never shorter */
	assert_int_equal(lt_retention_extend_to(&row, UNTIL - 1, 0, &target, &changes),
			 LETHE_ERR_SHORTENS);
	assert_false(changes);
	assert_string_equal(lt_err_detail(), "retention can only be lengthened: the object is "
					     "retained until 2027-01-01T00:00:00Z");
	/* by saturates at the last time lethe keeps */
	assert_int_equal(lt_retention_extend_to(&row, 0, INT64_MAX, &target, &changes), LETHE_OK);
	assert_int_equal(target, LT_RETENTION_TIME_MAX);
	row.retain_until = LT_RETENTION_TIME_MAX;
	assert_int_equal(lt_retention_extend_to(&row, 0, 1, &target, &changes), LETHE_OK);
	assert_false(changes);
}

/* T3: a clock within the tolerance of the kernel's, and not before the latest record. */
static void test_clock(void **state)
{
	(void) state;
	assert_int_equal(lt_retention_clock_agrees(1000, 1000), LETHE_OK);
	assert_int_equal(lt_retention_clock_agrees(1000 + LT_RETENTION_CLOCK_SKEW_MAX, 1000),
			 LETHE_OK);
	assert_int_equal(lt_retention_clock_agrees(1000 - LT_RETENTION_CLOCK_SKEW_MAX, 1000),
			 LETHE_OK);
	assert_int_equal(lt_retention_clock_agrees(1001 + LT_RETENTION_CLOCK_SKEW_MAX, 1000),
			 LETHE_ERR_CLOCK);
	assert_non_null(strstr(lt_err_detail(), "ahead of the kernel's"));
	assert_int_equal(lt_retention_clock_agrees(999 - LT_RETENTION_CLOCK_SKEW_MAX, 1000),
			 LETHE_ERR_CLOCK);
	assert_non_null(strstr(lt_err_detail(), "behind the kernel's"));
	/* an empty log: anything goes */
	assert_int_equal(lt_retention_clock_not_before(0, 0, 0), LETHE_OK);
	/* the same second as the record (a record at .7 s, the clock read in whole seconds) */
	assert_int_equal(lt_retention_clock_not_before(100, 100700000, 5), LETHE_OK);
	assert_int_equal(lt_retention_clock_not_before(101, 100700000, 5), LETHE_OK);
	assert_int_equal(lt_retention_clock_not_before(99, 100700000, 5), LETHE_ERR_CLOCK);
	assert_non_null(strstr(lt_err_detail(), "earlier than the newest authenticated record "
						"(audit record 5, 1970-01-01T00:01:40Z)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decision_table_exhaustive),
	    cmocka_unit_test(test_details),
	    cmocka_unit_test(test_hold_beats_expiry),
	    cmocka_unit_test(test_retention_until),
	    cmocka_unit_test(test_due),
	    cmocka_unit_test(test_sweep_action_agrees_with_rm),
	    cmocka_unit_test(test_may_remove),
	    cmocka_unit_test(test_object_policy),
	    cmocka_unit_test(test_hold_reason),
	    cmocka_unit_test(test_on_put),
	    cmocka_unit_test(test_extend_to),
	    cmocka_unit_test(test_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
