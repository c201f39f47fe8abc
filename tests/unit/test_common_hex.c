/* test_common_hex.c - hex text: lower-case out, either case in, nothing else accepted, and a
 * failed parse leaves no partial (possibly secret) output behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"

static void test_hex_round_trip(void **state)
{
	uint8_t bytes[4] = {0x00, 0x9f, 0xa0, 0xff};
	uint8_t back[4];
	char hex[9];

	(void) state;
	lt_hex(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, "009fa0ff");
	assert_int_equal(lt_unhex("009FA0ff", back, sizeof(back)), LETHE_OK);
	assert_memory_equal(back, bytes, sizeof(bytes));
}

static void test_unhex_rejects(void **state)
{
	uint8_t out[2] = {0xaa, 0xbb};

	(void) state;
	assert_int_equal(lt_unhex("abc", out, 2), LETHE_ERR_INVALID);    /* short */
	assert_int_equal(lt_unhex("abcdef", out, 2), LETHE_ERR_INVALID); /* long */
	assert_int_equal(lt_unhex("abcg", out, 2), LETHE_ERR_INVALID);   /* not hex */
	assert_int_equal(lt_unhex("ab d", out, 2), LETHE_ERR_INVALID);   /* space */
	assert_int_equal(lt_unhex("abcd\n", out, 2), LETHE_ERR_INVALID); /* trailing newline */
	/* A failed parse leaves nothing of the partial output behind (it may be a key). */
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
	assert_int_equal(lt_unhex("", out, 0), LETHE_OK);
}

/* What lt_hex writes and nothing else: certificates accept only that spelling of a hash. */
static void test_hex_valid(void **state)
{
	(void) state;
	assert_true(lt_hex_valid("009fa0ff", 4));
	assert_true(lt_hex_valid("", 0));
	assert_false(lt_hex_valid("009FA0ff", 4));  /* upper case: lt_hex never writes it */
	assert_false(lt_hex_valid("009fa0f", 4));   /* short */
	assert_false(lt_hex_valid("009fa0ff0", 4)); /* long */
	assert_false(lt_hex_valid("009fa0fg", 4));
	assert_false(lt_hex_valid("009fa0f ", 4));
	assert_false(lt_hex_valid(NULL, 4));
}

/* The public name (for printing a ciphertext_sha256) is the same encoder. */
static void test_public_hex(void **state)
{
	static const uint8_t bytes[] = {0xde, 0xad, 0x00, 0x0f};
	char out[9];

	(void) state;
	memset(out, 'x', sizeof(out));
	lethe_hex_format(bytes, sizeof(bytes), out);
	assert_string_equal(out, "dead000f");
	lethe_hex_format(bytes, 0, out);
	assert_string_equal(out, "");
	/* the bytes the lethe command's own encoder was tested with (cli/output.c had one) */
	lethe_hex_format((const uint8_t[]){0x00, 0x9f, 0xa0, 0xff}, 4, out);
	assert_string_equal(out, "009fa0ff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hex_round_trip),
	    cmocka_unit_test(test_unhex_rejects),
	    cmocka_unit_test(test_hex_valid),
	    cmocka_unit_test(test_public_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
