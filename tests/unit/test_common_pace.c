/* test_common_pace.c - the byte-rate limit of common/pace.h: it never lets reads run ahead of
 * the rate, and does nothing without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "common/pace.h"

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* 4 MiB at 16 MiB/s: the fourth read cannot return before a quarter of a second. */
static void test_rate_is_an_upper_bound(void **state)
{
	struct lt_pace pace;
	double start;

	(void) state;
	lt_pace_init(&pace, 16u << 20);
	start = seconds();
	for (int i = 0; i < 4; i++)
		lt_pace_wait(&pace, 1u << 20);
	assert_true(seconds() - start >= 0.25 - 0.001);
}

/* Many small reads add up exactly: 64 reads of 4 KiB at 1 MiB/s take a quarter second. */
static void test_small_reads_add_up(void **state)
{
	struct lt_pace pace;
	double start;

	(void) state;
	lt_pace_init(&pace, 1u << 20);
	start = seconds();
	for (int i = 0; i < 64; i++)
		lt_pace_wait(&pace, 4096);
	assert_true(seconds() - start >= 0.25 - 0.001);
}

/* Without a rate nothing sleeps: a terabyte is accounted at once. */
static void test_no_limit(void **state)
{
	struct lt_pace pace;
	double start;

	(void) state;
	lt_pace_init(&pace, 0);
	start = seconds();
	lt_pace_wait(&pace, UINT64_C(1) << 40);
	lt_pace_wait(&pace, UINT64_C(1) << 40);
	assert_true(seconds() - start < 5.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rate_is_an_upper_bound),
	    cmocka_unit_test(test_small_reads_add_up),
	    cmocka_unit_test(test_no_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
