/* test_retention_hold.c - legal holds that stack: which references the audit log's hold
 * records leave in force (0.1's records replace and clear the one hold), the reference rule
 * and the wording of a clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "retention/hold.h"

static uint64_t seq;

static void apply(struct lt_hold_refs *r, bool set, bool legacy, const char *text)
{
	assert_int_equal(lt_hold_refs_apply(r, set, legacy, text, ++seq), LETHE_OK);
}

static void test_refs_stack(void **state)
{
	struct lt_hold_refs r = {0};
	char text[LT_HOLD_CLEAR_DETAIL_MAX + 1];

	(void) state;
	seq = 0;
	apply(&r, true, false, "CASE-1");
	apply(&r, true, false, "CASE-2");
	apply(&r, true, false, "CASE-2"); /* the same reference again: set by record 2 */
	assert_int_equal(r.n, 2);
	assert_int_equal(lt_hold_refs_newest(&r), 2);
	/* the second case's clear leaves the first in force (the issue: it released both) */
	lt_hold_clear_detail("CASE-2", "case 2 closed", text, sizeof(text));
	assert_string_equal(text, "CASE-2\tcase 2 closed");
	apply(&r, false, false, text);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.ref[0], "CASE-1");
	assert_int_equal(lt_hold_refs_newest(&r), 1); /* the hold in force was set by record 1 */
	apply(&r, false, false, "CASE-9");            /* not in force: nothing */
	assert_int_equal(r.n, 1);
	/* a reference that is a prefix of another is another */
	apply(&r, false, false, "CASE");
	assert_int_equal(r.n, 1);
	/* a clear that found nothing names no reference: its why clears nothing */
	lt_hold_clear_detail("", "CASE-1", text, sizeof(text));
	assert_string_equal(text, "\tCASE-1");
	apply(&r, false, false, text);
	assert_int_equal(r.n, 1);
	lt_hold_clear_detail("CASE-1", NULL, text, sizeof(text));
	assert_string_equal(text, "CASE-1");
	apply(&r, false, false, text);
	assert_int_equal(r.n, 0);
	for (int i = 0; i < 20; i++) { /* grows past its first allocation */
		snprintf(text, sizeof(text), "C%d", i);
		apply(&r, true, false, text);
	}
	assert_int_equal(r.n, 20);
	lt_hold_refs_free(&r);
	assert_int_equal(r.n, 0);
}

/* 0.1 records: a set replaced the one hold, a clear (whatever its text) cleared it */
static void test_refs_legacy(void **state)
{
	struct lt_hold_refs r = {0};

	(void) state;
	apply(&r, true, true, "CASE-1");
	apply(&r, true, true, "CASE-2");
	assert_int_equal(r.n, 1);
	assert_string_equal(r.ref[0], "CASE-2");
	apply(&r, false, true, "case closed");
	assert_int_equal(r.n, 0);
	apply(&r, true, true, "CASE-3");
	apply(&r, true, false, "CASE-4"); /* after the upgrade: stacks on the 0.1 hold */
	assert_int_equal(r.n, 2);
	lt_hold_refs_free(&r);
}

static void test_ref_rule(void **state)
{
	char big[LETHE_REASON_MAX + 2];

	(void) state;
	assert_int_equal(lt_hold_ref_check("case 2026-114"), LETHE_OK);
	assert_int_equal(lt_hold_ref_check("case \xff"), LETHE_OK); /* bytes, not UTF-8 only */
	assert_int_equal(lt_hold_ref_check(""), LETHE_ERR_INVALID);
	assert_int_equal(lt_hold_ref_check(NULL), LETHE_ERR_INVALID);
	assert_int_equal(lt_hold_ref_check("a\tb"), LETHE_ERR_INVALID);
	assert_int_equal(lt_hold_ref_check("a\nb"), LETHE_ERR_INVALID);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(lt_hold_ref_check(big), LETHE_ERR_INVALID);
	big[LETHE_REASON_MAX] = '\0';
	assert_int_equal(lt_hold_ref_check(big), LETHE_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_refs_stack),
	    cmocka_unit_test(test_refs_legacy),
	    cmocka_unit_test(test_ref_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
