/* test_common_json.c - the JSON module: the exact bytes of each form (what certificates,
 * checkpoints, audit lines and keystore tokens are made of), sticky build failures, strict
 * parsing and reading a parsed value back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/json.h"

/* A build with nested objects, an array, every kind of value and text to escape. */
static void build_sample(struct lt_json_build *b)
{
	lt_json_begin(b);
	lt_json_add_string(b, "type", "sample");
	lt_json_add_int(b, "seq", 9007199254740991); /* 2^53 - 1 */
	lt_json_object_open(b, "reason");
	lt_json_add_string(b, "text", NULL);
	lt_json_add_bool(b, "forced", true);
	lt_json_close(b);
	lt_json_array_open(b, "keyslots");
	lt_json_add_string(b, NULL, "3");
	lt_json_close(b);
	lt_json_add_string(b, "host", "caf\xc3\xa9 \x01 \xf0\x9f\x94\x92 \"q\" \\ /");
	lt_json_add_int(b, "a", -1);
}

static char *end_text(struct lt_json_build *b, enum lt_json_form form)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(lt_json_end(b, form, &text, &len), LETHE_OK);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* Members in the order they were added, no white space, UTF-8 as it is. */
static void test_compact(void **state)
{
	struct lt_json_build b;
	char *text;

	(void) state;
	build_sample(&b);
	text = end_text(&b, LT_JSON_COMPACT);
	assert_string_equal(text,
			    "{\"type\":\"sample\",\"seq\":9007199254740991,"
			    "\"reason\":{\"text\":null,\"forced\":true},\"keyslots\":[\"3\"],"
			    "\"host\":\"caf\xc3\xa9 \\u0001 \xf0\x9f\x94\x92 \\\"q\\\" \\\\ /\","
			    "\"a\":-1}");
	free(text);
}

/* Certificates: ASCII only, non-ASCII as \u escapes (surrogate pairs above U+FFFF). */
static void test_ascii(void **state)
{
	struct lt_json_build b;
	char *text;

	(void) state;
	build_sample(&b);
	text = end_text(&b, LT_JSON_ASCII);
	assert_string_equal(text, "{\"type\":\"sample\",\"seq\":9007199254740991,"
				  "\"reason\":{\"text\":null,\"forced\":true},\"keyslots\":[\"3\"],"
				  "\"host\":\"caf\\u00E9 \\u0001 \\uD83D\\uDD12 \\\"q\\\" \\\\ /\","
				  "\"a\":-1}");
	free(text);
}

/* The KEK token: members sorted by key at every level, whatever the order they came in. */
static void test_sorted(void **state)
{
	struct lt_json_build b;
	char *text;

	(void) state;
	lt_json_begin(&b);
	lt_json_add_string(&b, "type", "lethe-keks");
	lt_json_array_open(&b, "keyslots");
	lt_json_close(&b);
	lt_json_object_open(&b, "keks");
	lt_json_add_string(&b, "2", "bb");
	lt_json_add_string(&b, "10", "cc");
	lt_json_add_string(&b, "1", "aa");
	lt_json_close(&b);
	text = end_text(&b, LT_JSON_SORTED);
	assert_string_equal(text, "{\"keks\":{\"1\":\"aa\",\"10\":\"cc\",\"2\":\"bb\"},"
				  "\"keyslots\":[],\"type\":\"lethe-keks\"}");
	free(text);
}

/* The first failure sticks: the calls after it change nothing, the end reports it. */
static void test_build_failures(void **state)
{
	struct lt_json_build b;
	char *text = (char *) "unset";
	size_t len = 99;

	(void) state;
	lt_json_begin(&b);
	lt_json_add_string(&b, "ok", "fine");
	lt_json_add_string(&b, "user", "caf\xe9"); /* Latin-1: not UTF-8 */
	lt_json_add_string(&b, "later", "x");
	lt_json_object_open(&b, "o");
	assert_int_equal(lt_json_end(&b, LT_JSON_COMPACT, &text, &len), LETHE_ERR_INVALID);
	assert_null(text);
	assert_int_equal(len, 0);
	assert_non_null(strstr(lt_err_detail(), "user"));

	/* open and close that do not match are a caller's bug */
	lt_json_begin(&b);
	lt_json_object_open(&b, "o");
	assert_int_equal(lt_json_end(&b, LT_JSON_COMPACT, &text, &len), LETHE_ERR_INTERNAL);
	lt_json_begin(&b);
	lt_json_close(&b);
	assert_int_equal(lt_json_end(&b, LT_JSON_COMPACT, &text, &len), LETHE_ERR_INTERNAL);
	/* an object member needs a name */
	lt_json_begin(&b);
	lt_json_add_int(&b, NULL, 1);
	assert_int_equal(lt_json_end(&b, LT_JSON_COMPACT, &text, &len), LETHE_ERR_INTERNAL);
	/* nesting is bounded */
	lt_json_begin(&b);
	for (int i = 0; i < LT_JSON_DEPTH_MAX; i++)
		lt_json_object_open(&b, "o");
	assert_int_equal(lt_json_end(&b, LT_JSON_COMPACT, &text, &len), LETHE_ERR_INTERNAL);
}

static int count_member(const char *key, const struct lt_json *value, void *ctx)
{
	char *order = ctx;

	(void) value;
	strcat(order, key);
	return strcmp(key, "stop") == 0 ? 7 : 0;
}

/* A parsed value read back: every accessor, members in their order, NULL-safe. */
static void test_parse_and_read(void **state)
{
	static const char text[] = "{\"s\":\"x\",\"i\":-5,\"t\":true,\"f\":false,\"n\":null,"
				   "\"r\":1.5,\"a\":[\"p\",2],\"o\":{\"k\":\"v\"}}";
	struct lt_json *root = NULL;
	const struct lt_json *a;
	char order[64] = "";
	int64_t i = 0;

	(void) state;
	assert_int_equal(lt_json_parse(text, strlen(text), LT_JSON_NO_DUPLICATES, &root), LETHE_OK);
	assert_true(lt_json_is_object(root));
	assert_int_equal(lt_json_size(root), 8);
	assert_string_equal(lt_json_string(lt_json_get(root, "s")), "x");
	assert_null(lt_json_string(lt_json_get(root, "i")));
	assert_true(lt_json_int(lt_json_get(root, "i"), &i));
	assert_int_equal(i, -5);
	assert_false(lt_json_int(lt_json_get(root, "r"), &i)); /* a real is not an integer */
	assert_false(lt_json_int(lt_json_get(root, "s"), &i));
	assert_true(lt_json_is_true(lt_json_get(root, "t")));
	assert_true(lt_json_is_bool(lt_json_get(root, "f")));
	assert_false(lt_json_is_true(lt_json_get(root, "f")));
	assert_true(lt_json_is_null(lt_json_get(root, "n")));
	assert_false(lt_json_is_null(lt_json_get(root, "missing")));
	a = lt_json_get(root, "a");
	assert_true(lt_json_is_array(a));
	assert_int_equal(lt_json_size(a), 2);
	assert_string_equal(lt_json_string(lt_json_at(a, 0)), "p");
	assert_null(lt_json_at(a, 2));
	assert_null(lt_json_get(a, "p")); /* not an object */
	assert_string_equal(lt_json_string(lt_json_get(lt_json_get(root, "o"), "k")), "v");
	assert_null(lt_json_get(NULL, "k"));
	assert_int_equal(lt_json_size(NULL), 0);
	assert_int_equal(lt_json_each(root, count_member, order), 0);
	assert_string_equal(order, "sitfnrao");
	assert_int_equal(lt_json_each(a, count_member, order), 0); /* not an object: nothing */
	lt_json_free(root);

	assert_int_equal(lt_json_parse("{\"a\":1,\"stop\":2,\"z\":3}", 22, 0, &root), LETHE_OK);
	order[0] = '\0';
	assert_int_equal(lt_json_each(root, count_member, order), 7);
	assert_string_equal(order, "astop");
	lt_json_free(root);
}

/* Duplicate keys (two readers, two values) only when asked; nothing after the value. */
static void test_parse_refusals(void **state)
{
	static const char dup[] = "{\"a\":1,\"a\":2}";
	struct lt_json *root = (struct lt_json *) &root;

	(void) state;
	assert_int_equal(lt_json_parse(dup, strlen(dup), LT_JSON_NO_DUPLICATES, &root),
			 LETHE_ERR_INVALID);
	assert_null(root);
	assert_non_null(strstr(lt_err_detail(), "duplicate object key"));
	assert_non_null(strstr(lt_err_detail(), "(byte "));
	assert_int_equal(lt_json_parse(dup, strlen(dup), 0, &root), LETHE_OK);
	lt_json_free(root);
	assert_int_equal(lt_json_parse("{}x", 3, 0, &root), LETHE_ERR_INVALID);
	assert_int_equal(lt_json_parse("\"bare\"", 6, 0, &root), LETHE_ERR_INVALID);
	assert_int_equal(lt_json_parse("{\"a\":\"\\u0000\"}", 14, 0, &root), LETHE_ERR_INVALID);
	assert_int_equal(lt_json_parse("{\"a\":1}", 5, 0, &root), LETHE_ERR_INVALID); /* cut */
}

/* A parsed value dumps back to the same bytes in its form; a parsed member carried into a
 * new build is copied whole (the KEK token keeps what it does not understand). */
static void test_dump_and_carry(void **state)
{
	static const char text[] = "{\"b\":\"caf\\u00E9\",\"a\":[1,{\"x\":null}]}";
	struct lt_json *root = NULL;
	struct lt_json_build b;
	char *again = NULL;
	size_t len = 0;

	(void) state;
	assert_int_equal(lt_json_parse(text, strlen(text), 0, &root), LETHE_OK);
	assert_int_equal(lt_json_dump(root, LT_JSON_ASCII, &again, &len), LETHE_OK);
	assert_int_equal(len, strlen(text));
	assert_string_equal(again, text);
	free(again);
	assert_int_equal(lt_json_dump(root, LT_JSON_COMPACT, &again, &len), LETHE_OK);
	assert_string_equal(again, "{\"b\":\"caf\xc3\xa9\",\"a\":[1,{\"x\":null}]}");
	free(again);

	lt_json_begin(&b);
	lt_json_add_value(&b, "copy", lt_json_get(root, "a"));
	lt_json_free(root); /* the build holds its own reference */
	again = end_text(&b, LT_JSON_COMPACT);
	assert_string_equal(again, "{\"copy\":[1,{\"x\":null}]}");
	free(again);

	lt_json_begin(&b);
	lt_json_add_value(&b, "missing", NULL);
	assert_int_equal(lt_json_end(&b, LT_JSON_COMPACT, &again, &len), LETHE_ERR_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compact),        cmocka_unit_test(test_ascii),
	    cmocka_unit_test(test_sorted),         cmocka_unit_test(test_build_failures),
	    cmocka_unit_test(test_parse_and_read), cmocka_unit_test(test_parse_refusals),
	    cmocka_unit_test(test_dump_and_carry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
