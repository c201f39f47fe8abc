/* test_retention_policy.c - the retention decision table, exhaustively; retain_until. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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
	{1, -1, -1, -1, -1, LETHE_ERR_HELD},
	{0, 1, -1, -1, -1, LETHE_OK},
	{0, 0, 1, -1, -1, LETHE_ERR_LOCKED},
	{0, 0, 0, 0, -1, LETHE_ERR_NOT_EXPIRED},
	{0, 0, 0, 1, 0, LETHE_ERR_NOT_OFFICER},
	{0, 0, 0, 1, 1, LETHE_OK},
};

static bool cell_matches(int cell, bool value)
{
	return cell == -1 || cell == (int)value;
}

static enum lethe_err expected_result(bool held, bool expired, const struct lt_shred_request *r)
{
	for (size_t i = 0; i < sizeof(decision_table) / sizeof(decision_table[0]); i++) {
		const struct rule *row = &decision_table[i];

		if (cell_matches(row->held, held) && cell_matches(row->expired, expired) &&
		    cell_matches(row->locked, r->group_locked) && cell_matches(row->force, r->force) &&
		    cell_matches(row->officer, r->officer))
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

	(void)state;
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
	(void)state;
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
	struct lt_shred_request req = {.now = UNTIL + 1, .retain_until = UNTIL,
				       .group_hold = true, .force = true, .officer = true};

	(void)state;
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

	(void)state;
	assert_int_equal(lt_retention_until(t2026, 365 * day), t2026 + 365 * day);
	assert_int_equal(lt_retention_until(t2026, 0), t2026);
	/* Never before the object existed, whatever the caller passes. */
	assert_int_equal(lt_retention_until(t2026, -1), t2026);
	assert_int_equal(lt_retention_until(t2026, INT64_MIN), t2026);
	/* Saturates at the last second RFC 3339 can write. */
	assert_int_equal(lt_retention_until(t2026, INT64_MAX), LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(INT64_MAX, 1), LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(LT_RETENTION_TIME_MAX, 0), LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(LT_RETENTION_TIME_MAX - 10, 10),
			 LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(LT_RETENTION_TIME_MAX - 10, 11),
			 LT_RETENTION_TIME_MAX);
	assert_int_equal(lt_retention_until(LT_RETENTION_TIME_MAX - 10, 9),
			 LT_RETENTION_TIME_MAX - 1);
	assert_int_equal(lt_retention_until(INT64_MIN, INT64_MAX), -1);
	assert_int_equal(lt_retention_until(0, 100000 * 7 * day), 100000 * 7 * day);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decision_table_exhaustive),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_hold_beats_expiry),
		cmocka_unit_test(test_retention_until),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
