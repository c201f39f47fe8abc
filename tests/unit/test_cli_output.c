/*
 * test_cli_output.c - the bottom layer of the lethe command (cli/exit.c and cli/output.c),
 * linked without the rest of cli/: the exit-code table, terminal-safe text, JSON
 * strings and tables. It links only because neither file calls up into util.c, report.c or
 * main.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

/* Every enum lethe_err value and its exit code, as DESIGN.md and lethe(1) list them. */
static void test_exit_code_table(void **state)
{
	static const struct {
		enum lethe_err err;
		int code;
	} table[] = {
	    {LETHE_OK, 0},
	    {LETHE_ERR_INTERNAL, 1},
	    {LETHE_ERR_NOMEM, 1},
	    {LETHE_ERR_IO, 1},
	    {LETHE_ERR_NOSPC, 1},
	    {LETHE_ERR_INVALID, 2},
	    {LETHE_ERR_CONFIG, 2},
	    {LETHE_ERR_NOT_FOUND, 3},
	    {LETHE_ERR_SHREDDED, 3},
	    {LETHE_ERR_EXISTS, 2},
	    {LETHE_ERR_INTEGRITY, 4},
	    {LETHE_ERR_HELD, 5},
	    {LETHE_ERR_LOCKED, 5},
	    {LETHE_ERR_NOT_EXPIRED, 5},
	    {LETHE_ERR_KEK_IN_USE, 5},
	    {LETHE_ERR_LAST_OFFICER, 5},
	    {LETHE_ERR_PERMISSION, 6},
	    {LETHE_ERR_UNLOCK, 6},
	    {LETHE_ERR_NOT_OFFICER, 6},
	    {LETHE_ERR_BUSY, 1},
	    {LETHE_ERR_KEYSTORE, 6},
	    {LETHE_ERR_DATABASE, 4},
	    {LETHE_ERR_CRYPTO, 1},
	    {LETHE_ERR_SHORTENS, 5},
	    {LETHE_ERR_CLOCK, 5},
	};

	(void) state;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		/* the table is in enum order, so that a value appended later is noticed here */
		assert_int_equal(table[i].err, (int) i);
		assert_int_equal(cli_exit_code(table[i].err), table[i].code);
	}
	/* a value from a newer library is a plain error */
	assert_int_equal(cli_exit_code((enum lethe_err) 1000), EXIT_ERROR);
}

static void test_sanitize(void **state)
{
	char buf[64];

	(void) state;
	/* control characters, DEL, C1 and bytes that are not UTF-8 become \xNN; the rest stays */
	cli_sanitize("a\nb\x1b[2J\x7f", buf, sizeof(buf));
	assert_string_equal(buf, "a\\x0ab\\x1b[2J\\x7f");
	cli_sanitize("caf\xc3\xa9 \xc2\x85 \xff", buf, sizeof(buf));
	assert_string_equal(buf, "caf\xc3\xa9 \\xc2\\x85 \\xff");
	/* cut at the buffer's end, never in the middle of an escape */
	cli_sanitize("\x01\x02\x03", buf, 9);
	assert_string_equal(buf, "\\x01\\x02");
}

static void test_json_str_replaces_bad_bytes(void **state)
{
	json_t *value;

	(void) state;
	value = cli_json_str("ok\xff!");
	assert_non_null(value);
	assert_string_equal(json_string_value(value), "ok\xef\xbf\xbd!");
	json_decref(value);
}

static void test_table(void **state)
{
	static const char *const headers[] = {"NAME", "N"};
	static const char *const row1[] = {"a\tb", "7"};
	static const char *const row2[] = {"long name", "1000"};
	struct cli_table *table = cli_table_new(2, headers, "lr");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void) state;
	assert_non_null(table);
	assert_non_null(f);
	assert_int_equal(cli_table_add(table, row1), 0);
	assert_int_equal(cli_table_add(table, row2), 0);
	assert_int_equal(cli_table_rows(table), 2);
	cli_table_print(table, f);
	fclose(f);
	assert_string_equal(text, "NAME          N\n"
				  "a\\x09b        7\n"
				  "long name  1000\n");
	free(text);
	cli_table_free(table);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_code_table),
	    cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_json_str_replaces_bad_bytes),
	    cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
