/* test_audit_export.c - unit tests of audit/export.c: one compact JSON object per record and
 * line, its fields in a fixed order with the MAC in hex; --since by sequence number and by
 * time; a record that is not UTF-8 and an output that fails are errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <sys/mman.h>

#include "audit_fixture.h"

/* Export into a memfd and return its text (free it). */
static char *export(struct audit_fx *f, uint64_t since_seq, int64_t since_time, uint64_t *count,
		    enum lethe_err expect)
{
	int fd = memfd_create("export", 0);
	off_t len;
	char *text;

	assert_true(fd >= 0);
	*count = 99;
	assert_int_equal(lt_audit_export(f->db, fd, since_seq, since_time, count), expect);
	len = lseek(fd, 0, SEEK_END);
	text = calloc(1, (size_t) len + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t) len, 0), len);
	close(fd);
	return text;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void test_json_lines(void **state)
{
	static const char *const keys[] = {
	    "seq",    "time",  "uid",     "user",  "keyslot",         "pid", "host",    "action",
	    "object", "group", "outcome", "error", "unauthenticated", "mac", "auth_sig"};
	struct audit_fx *f = *state;
	char *text, *line, *save = NULL;
	uint64_t count;
	const char *key;
	json_t *o, *v;
	size_t i;

	audit_fx_append(f, &(struct lt_audit_event){.action = "init"});
	audit_fx_append(f,
			&(struct lt_audit_event){.action = "put",
						 .object = "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
						 .group = "docs"});
	audit_fx_append(f,
			&(struct lt_audit_event){.action = "get",
						 .err = LETHE_ERR_INTEGRITY,
						 .error = "segment 7 \"failed\"\nauthentication"});
	text = export(f, 0, 0, &count, LETHE_OK);
	assert_int_equal(count, 3);
	assert_int_equal(count_lines(text), 3);
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (line = strtok_r(text, "\n", &save), i = 1; line;
	     line = strtok_r(NULL, "\n", &save), i++) {
		size_t k = 0;

		/* compact: no space after a separator outside strings */
		assert_null(strstr(line, "\", \""));
		o = json_loads(line, 0, NULL);
		assert_non_null(o);
		json_object_foreach(o, key, v)
		{
			assert_true(k < 15);
			assert_string_equal(key, keys[k]);
			k++;
		}
		assert_int_equal(k, 15);
		assert_true(json_is_null(json_object_get(o, "auth_sig")));
		assert_true(json_is_false(json_object_get(o, "unauthenticated")));
		assert_int_equal(json_integer_value(json_object_get(o, "seq")), (json_int_t) i);
		assert_int_equal(json_integer_value(json_object_get(o, "uid")), 1001);
		assert_int_equal(json_integer_value(json_object_get(o, "pid")), 4242);
		assert_string_equal(json_string_value(json_object_get(o, "user")), "alice");
		assert_string_equal(json_string_value(json_object_get(o, "host")), "db1.example");
		json_decref(o);
	}
	free(text);

	/* the failure's text survives quoting */
	text = export(f, 3, 0, &count, LETHE_OK);
	assert_int_equal(count, 1);
	o = json_loads(text, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "outcome")), "failed");
	assert_string_equal(json_string_value(json_object_get(o, "error")),
			    "segment 7 \"failed\"\nauthentication");
	json_decref(o);
	free(text);
}

static int last_rec(const struct lt_db_audit *rec, void *ctx)
{
	*(struct lt_db_audit *) ctx = *rec;
	return 0;
}

/* The exported MAC is the hex of the stored one, and the time is RFC 3339 UTC. */
static void test_mac_and_time(void **state)
{
	struct audit_fx *f = *state;
	struct lt_db_audit rec;
	char mac[65], *text;
	uint64_t count;
	json_t *o;
	const char *when;

	audit_fx_append(f, &(struct lt_audit_event){.action = "init"});
	assert_int_equal(lt_db_audit_list(f->db, 0, INT64_MIN, last_rec, &rec), LETHE_OK);
	lt_hex(rec.mac, 32, mac);
	text = export(f, 0, 0, &count, LETHE_OK);
	o = json_loads(text, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "mac")), mac);
	when = json_string_value(json_object_get(o, "time"));
	assert_non_null(when);
	assert_int_equal(when[4], '-');
	assert_int_equal(when[10], 'T');
	assert_int_equal(when[strlen(when) - 1], 'Z');
	json_decref(o);
	free(text);
}

static void test_since(void **state)
{
	struct audit_fx *f = *state;
	uint64_t count;
	char *text;
	int i;

	for (i = 0; i < 5; i++)
		audit_fx_append(f, &(struct lt_audit_event){.action = "get"});
	text = export(f, 4, 0, &count, LETHE_OK);
	assert_int_equal(count, 2);
	assert_non_null(strstr(text, "{\"seq\":4,"));
	assert_non_null(strstr(text, "{\"seq\":5,"));
	free(text);
	/* a time in the future: nothing */
	text = export(f, 0, lt_now() + 3600, &count, LETHE_OK);
	assert_int_equal(count, 0);
	assert_string_equal(text, "");
	free(text);
	/* times too far out to count in microseconds filter nothing rather than wrap */
	text = export(f, 0, INT64_MAX, &count, LETHE_OK);
	assert_int_equal(count, 5);
	free(text);
	text = export(f, 0, INT64_MIN, &count, LETHE_OK);
	assert_int_equal(count, 5);
	free(text);
	text = export(f, 0, lt_now() - 3600, &count, LETHE_OK);
	assert_int_equal(count, 5);
	free(text);
}

static void test_not_utf8(void **state)
{
	struct audit_fx *f = *state;
	uint64_t count;
	char *text;

	audit_fx_append(f, &(struct lt_audit_event){.action = "init"});
	audit_fx_append(f, &(struct lt_audit_event){.action = "get", .error = "bad \xff byte"});
	audit_fx_append(f, &(struct lt_audit_event){.action = "get"});
	text = export(f, 0, 0, &count, LETHE_ERR_INTERNAL);
	assert_int_equal(count, 1);
	assert_non_null(strstr(lt_err_detail(), "audit record 2 is not valid UTF-8"));
	free(text);
}

static void test_output_fails(void **state)
{
	struct audit_fx *f = *state;
	int fds[2];
	uint64_t count = 99;

	audit_fx_append(f, &(struct lt_audit_event){.action = "init"});
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	/* no reader: EPIPE (lethe never lets SIGPIPE reach the host) */
	assert_int_equal(lt_audit_export(f->db, fds[1], 0, 0, &count), LETHE_ERR_IO);
	assert_int_equal(count, 0);
	close(fds[1]);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, audit_fx_setup, audit_fx_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_json_lines), T(test_mac_and_time), T(test_since),
	    T(test_not_utf8),   T(test_output_fails),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
