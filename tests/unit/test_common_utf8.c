/* test_common_utf8.c - strict UTF-8: every refusal RFC 3629 asks for, at the edges of each
 * range, and cut sequences at the end of a string or a line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/utf8.h"

static size_t len_of(const char *s)
{
	return lt_utf8_len((const unsigned char *) s, strlen(s) ? strlen(s) : 1);
}

static void test_sequence_lengths(void **state)
{
	(void) state;
	assert_int_equal(len_of("a"), 1);
	assert_int_equal(len_of(""), 1); /* NUL: one byte, valid; callers refuse it themselves */
	assert_int_equal(len_of("\xc2\x80"), 2);         /* U+0080 */
	assert_int_equal(len_of("\xdf\xbf"), 2);         /* U+07FF */
	assert_int_equal(len_of("\xe0\xa0\x80"), 3);     /* U+0800 */
	assert_int_equal(len_of("\xed\x9f\xbf"), 3);     /* U+D7FF */
	assert_int_equal(len_of("\xee\x80\x80"), 3);     /* U+E000 */
	assert_int_equal(len_of("\xef\xbf\xbf"), 3);     /* U+FFFF */
	assert_int_equal(len_of("\xf0\x90\x80\x80"), 4); /* U+10000 */
	assert_int_equal(len_of("\xf4\x8f\xbf\xbf"), 4); /* U+10FFFF */
	assert_int_equal(len_of("\xc3\xa9tait"), 2);     /* only the first sequence */
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
	    "\x80",             /* a continuation byte alone */
	    "\xc0\x80",         /* overlong NUL */
	    "\xc1\xbf",         /* overlong */
	    "\xe0\x9f\xbf",     /* overlong U+07FF */
	    "\xed\xa0\x80",     /* surrogate U+D800 */
	    "\xed\xbf\xbf",     /* surrogate U+DFFF */
	    "\xf0\x8f\xbf\xbf", /* overlong U+FFFF */
	    "\xf4\x90\x80\x80", /* U+110000 */
	    "\xf5\x80\x80\x80", /* no such lead byte */
	    "\xff",
	    "\xc3",     /* cut */
	    "\xe2\x82", /* cut */
	    "\xc3(",    /* not a continuation */
	};

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(len_of(bad[i]), 0);
		assert_false(lt_utf8_valid(bad[i]));
	}
	/* a sequence cut by the end of the bytes given (a config line) even if more follow */
	assert_int_equal(lt_utf8_len((const unsigned char *) "\xe2\x82\xac", 2), 0);
	assert_int_equal(lt_utf8_len((const unsigned char *) "\xe2\x82\xac", 3), 3);
}

static void test_strings(void **state)
{
	(void) state;
	assert_true(lt_utf8_valid(""));
	assert_true(lt_utf8_valid("plain ASCII"));
	assert_true(lt_utf8_valid("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"));
	assert_false(lt_utf8_valid("caf\xe9"));              /* Latin-1 */
	assert_false(lt_utf8_valid("ok then \xed\xa0\x80")); /* surrogate at the end */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sequence_lengths),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
