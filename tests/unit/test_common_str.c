/* test_common_str.c - lt_strlcpy: always terminated, never past the buffer, says when it cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/str.h"

static void test_fits(void **state)
{
	char buf[8];

	(void) state;
	assert_true(lt_strlcpy(buf, "abc", sizeof(buf)));
	assert_string_equal(buf, "abc");
	/* exactly size - 1 bytes still fits */
	assert_true(lt_strlcpy(buf, "1234567", sizeof(buf)));
	assert_string_equal(buf, "1234567");
}

static void test_cut(void **state)
{
	char buf[8];

	(void) state;
	memset(buf, 'x', sizeof(buf));
	assert_false(lt_strlcpy(buf, "12345678", sizeof(buf)));
	assert_string_equal(buf, "1234567");
	assert_false(lt_strlcpy(buf, "a much longer text", 4));
	assert_string_equal(buf, "a m");
}

static void test_null_and_empty(void **state)
{
	char buf[4] = "zzz";

	(void) state;
	assert_true(lt_strlcpy(buf, NULL, sizeof(buf)));
	assert_string_equal(buf, "");
	buf[0] = 'q';
	/* no room at all: nothing is written, and the copy did not happen */
	assert_false(lt_strlcpy(buf, "a", 0));
	assert_int_equal(buf[0], 'q');
	assert_false(lt_strlcpy(buf, "a", 1));
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fits),
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_null_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
