/*
 * test_common_time_input.c - times as people type them (lethe_time_parse()): offsets, a space
 * for the 'T', minutes only, fractions; and that what lethe reads back (lt_time_parse()) keeps
 * its one spelling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/timeutil.h"

static int64_t input(const char *text)
{
	int64_t s = -1;

	assert_int_equal(lt_time_parse_input(text, &s), LETHE_OK);
	return s;
}

static void test_input_forms(void **state)
{
	const int64_t t = 1795433645; /* 2026-11-23T11:34:05Z */

	(void) state;
	assert_int_equal(input("2026-11-23T11:34:05Z"), t);
	assert_int_equal(input("2026-11-23 11:34:05Z"), t);
	assert_int_equal(input("2026-11-23t11:34:05z"), t);
	assert_int_equal(input("2026-11-23 13:34:05+02:00"), t);
	assert_int_equal(input("2026-11-23T13:34:05+0200"), t);
	assert_int_equal(input("2026-11-23T06:34:05-05:00"), t);
	assert_int_equal(input("2026-11-23 17:04:05+05:30"), t);
	assert_int_equal(input("2026-11-24 00:34:05+13:00"), t);   /* the day before in UTC */
	assert_int_equal(input("2026-11-23 11:34:05.966645Z"), t); /* audit records' times */
	assert_int_equal(input("2026-11-23 11:34+00:00"), t - 5);  /* minutes only */
	assert_int_equal(input("2026-11-23"), 1795392000);         /* midnight UTC */
	assert_int_equal(input("1970-01-01 01:00:00+01:00"), 0);
	assert_int_equal(input("2026-01-01T00:30:00+01:00"), 1767223800); /* 2025-12-31T23:30Z */
	/* the public entry point is this one */
	int64_t s = 0;
	assert_int_equal(lethe_time_parse("2026-11-23 13:34:05+02:00", &s), LETHE_OK);
	assert_int_equal(s, t);
}

static void test_input_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "2026-11-23 11:34:05", /* a time of day needs a zone: never guessed */
	    "2026-11-23T11:34",
	    "2026-11-23 11:34:05+2",
	    "2026-11-23 11:34:05+02",
	    "2026-11-23 11:34:05+02:0",
	    "2026-11-23 11:34:05+24:00",
	    "2026-11-23 11:34:05+02:60",
	    "2026-11-23 11:34:05+02:00 ",
	    "2026-11-23 11:34:05 +02:00",
	    "2026-11-23 11:34:05CET",
	    "2026-11-23 24:00:00Z",
	    "2026-11-23 11:60:00Z",
	    "2026-11-23 11:34:60Z",
	    "2026-11-23 11:34:05.Z",
	    "2026-11-23_11:34:05Z",
	    "2026-11-23  11:34:05Z",
	    "2026-02-30 11:34:05Z",
	    "2026-11-23 1:34:05Z",
	    "2026-11-23 ",
	    "2026-11-23 11:34:05+",
	    "2026-11-23 11:34:05-",
	};

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t s = 5;

		assert_int_equal(lt_time_parse_input(bad[i], &s), LETHE_ERR_INVALID);
		assert_int_equal(s, 0);
		assert_true(strlen(lt_err_detail()) > 0);
	}
	assert_int_equal(lt_time_parse_input(NULL, &(int64_t){0}), LETHE_ERR_INVALID);
}

/* What lethe writes and verifies keeps one spelling: the forms above stay refused there. */
static void test_strict_parse_unchanged(void **state)
{
	int64_t s = 5;

	(void) state;
	assert_int_equal(lt_time_parse("2026-11-23 11:34:05Z", &s), LETHE_ERR_INVALID);
	assert_int_equal(lt_time_parse("2026-11-23T13:34:05+02:00", &s), LETHE_ERR_INVALID);
	assert_int_equal(lt_time_parse("2026-11-23T11:34:05.5Z", &s), LETHE_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_input_forms),
	    cmocka_unit_test(test_input_refused),
	    cmocka_unit_test(test_strict_parse_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
