/* test_common_name.c - the name rule: 1..max bytes of A-Z a-z 0-9 . _ - and nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/name.h"

static void test_accepted(void **state)
{
	(void) state;
	assert_true(lt_name_valid("finance", 63));
	assert_true(lt_name_valid("a.B_c-9", 63));
	assert_true(lt_name_valid("x", 1));
	assert_true(lt_name_valid("...", 63)); /* dots alone: a name, never a path */
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
	    "",      "a b",     "a/b",  "a\"b", "a=b",
	    "[x]",   "a;b",     "a\tb", "a\nb", "al\xc3\xaf", /* non-ASCII */
	    "a\x7f", "caf\xe9",
	};

	(void) state;
	assert_false(lt_name_valid(NULL, 63));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(lt_name_valid(bad[i], 63));
}

static void test_length(void **state)
{
	char name[80];

	(void) state;
	memset(name, 'g', sizeof(name));
	name[63] = '\0';
	assert_true(lt_name_valid(name, 63));
	name[63] = 'g';
	name[64] = '\0';
	assert_false(lt_name_valid(name, 63));
	assert_true(lt_name_valid(name, 64));
	/* a string far longer than max is refused without being read to its end */
	name[sizeof(name) - 1] = '\0';
	assert_false(lt_name_valid(name, 31));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
