/* test_common_uuid.c - ids: generated UUIDs are random and canonical; only the canonical text
 * is accepted, whatever reaches the check (object ids, file names, certificate fields). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/uuid.h"

static const char object_a[] = "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d";

static void test_uuid(void **state)
{
	char a[LETHE_ID_LEN + 1], b[LETHE_ID_LEN + 1];
	uint8_t bytes[16];
	static const char *const bad[] = {
	    "",
	    "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9",
	    "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d0",
	    "3F1C0A52-7D4E-4B8A-9C1D-2E5F6A7B8C9D",
	    "3f1c0a527d4e4b8a9c1d2e5f6a7b8c9d",
	    "{3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d}",
	    "3f1c0a52-7d4e-4b8a-9c1d_2e5f6a7b8c9d",
	    "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9g",
	    "3f1c0a52x7d4e-4b8a-9c1d-2e5f6a7b8c9d",
	    " 3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9",
	    "../../../../../../../../etc/passwd00",
	};

	(void) state;
	lt_uuid_generate(a);
	lt_uuid_generate(b);
	assert_int_equal(strlen(a), LETHE_ID_LEN);
	assert_string_not_equal(a, b);
	assert_int_equal(lt_uuid_parse(a, bytes), LETHE_OK);
	assert_int_equal(bytes[6] >> 4, 4);      /* version 4: random */
	assert_int_equal(bytes[8] & 0xc0, 0x80); /* RFC 4122 variant */
	assert_int_equal(lt_uuid_parse(object_a, bytes), LETHE_OK);
	assert_int_equal(bytes[0], 0x3f);
	assert_int_equal(bytes[15], 0x9d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(lt_uuid_parse(bad[i], bytes), LETHE_ERR_INVALID);
	assert_int_equal(lt_uuid_parse(NULL, bytes), LETHE_ERR_INVALID);
}

/* The canonical check as object file names and metadata rows use it. */
static void test_valid(void **state)
{
	(void) state;
	assert_true(lt_uuid_valid("3f1c0a9e-1234-4abc-8def-0123456789ab"));
	assert_false(lt_uuid_valid("3F1C0A9E-1234-4abc-8def-0123456789ab"));  /* upper case */
	assert_false(lt_uuid_valid("3f1c0a9e-1234-4abc-8def-0123456789a"));   /* short */
	assert_false(lt_uuid_valid("3f1c0a9e-1234-4abc-8def-0123456789abc")); /* long */
	assert_false(lt_uuid_valid("3f1c0a9e-1234-4abc-8def_0123456789ab"));
	assert_false(lt_uuid_valid("../../../../../../etc/passwd.xxxxxxxxxx"));
	assert_false(lt_uuid_valid(""));
	assert_false(lt_uuid_valid(NULL));
}

/* A name in a listing ("<id>.json", a chain.txt line) is checked by length, without a NUL. */
static void test_valid_n(void **state)
{
	static const char name[] = "3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9d.json";

	(void) state;
	assert_true(lt_uuid_valid_n(name, LETHE_ID_LEN));
	assert_false(lt_uuid_valid_n(name, LETHE_ID_LEN + 1));
	assert_false(lt_uuid_valid_n(name, LETHE_ID_LEN - 1));
	assert_false(lt_uuid_valid_n("3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8c9D", LETHE_ID_LEN));
	assert_false(lt_uuid_valid_n("3f1c0a52-7d4e-4b8a-9c1d-2e5f6a7b8\0"
				     "9d",
				     LETHE_ID_LEN));
}

/* Every object id a caller hands lethe: refused with the detail the user sees. */
static void test_check(void **state)
{
	(void) state;
	lt_err_clear();
	assert_int_equal(lt_uuid_check(object_a), LETHE_OK);
	assert_string_equal(lt_err_detail(), "");
	assert_int_equal(lt_uuid_check("3F1C0A52-7D4E-4B8A-9C1D-2E5F6A7B8C9D"), LETHE_ERR_INVALID);
	assert_non_null(strstr(lt_err_detail(), "not an object id"));
	assert_int_equal(lt_uuid_check(NULL), LETHE_ERR_INVALID);
	assert_int_equal(lt_uuid_check("../x"), LETHE_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uuid),
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_valid_n),
	    cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
