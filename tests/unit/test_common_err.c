/* test_common_err.c - error details: recording, prefixing, errno mapping, public strings. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"

static void test_detail_recorded(void **state)
{
	(void) state;
	lt_err_clear();
	assert_string_equal(lt_err_detail(), "");
	assert_int_equal(lt_err(LETHE_ERR_INTEGRITY, "segment %u failed authentication", 7u),
			 LETHE_ERR_INTEGRITY);
	assert_string_equal(lt_err_detail(), "segment 7 failed authentication");
	assert_string_equal(lethe_errdetail(), "segment 7 failed authentication");
	lt_err_clear();
	assert_string_equal(lethe_errdetail(), "");
}

static void test_errno_appended(void **state)
{
	(void) state;
	assert_int_equal(lt_err_errno(LETHE_ERR_IO, ENOENT, "%s: open", "/x"), LETHE_ERR_IO);
	assert_string_equal(lt_err_detail(), "/x: open: No such file or directory");
}

static void test_prefix(void **state)
{
	(void) state;
	lt_err(LETHE_ERR_IO, "fsync: Input/output error");
	lt_err_prefix("%s", "/store/meta.db");
	assert_string_equal(lt_err_detail(), "/store/meta.db: fsync: Input/output error");
	/* A prefix on an empty detail stands alone, without a dangling ": ". */
	lt_err_clear();
	lt_err_prefix("put %s", "abc");
	assert_string_equal(lt_err_detail(), "put abc");
}

static void test_detail_may_quote_itself(void **state)
{
	(void) state;
	lt_err(LETHE_ERR_IO, "inner");
	lt_err(LETHE_ERR_IO, "outer: %s", lt_err_detail());
	assert_string_equal(lt_err_detail(), "outer: inner");
}

static void test_long_detail_truncated(void **state)
{
	char big[4000];

	(void) state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lt_err(LETHE_ERR_IO, "%s", big);
	assert_int_equal(strlen(lt_err_detail()), 1023);
	lt_err_prefix("p");
	assert_int_equal(strlen(lt_err_detail()), 1023);
	assert_memory_equal(lt_err_detail(), "p: aaa", 6);
	lt_err_errno(LETHE_ERR_IO, EIO, "%s", big);
	assert_int_equal(strlen(lt_err_detail()), 1023);
}

static void test_from_errno(void **state)
{
	(void) state;
	assert_int_equal(lt_err_from_errno(ENOSPC), LETHE_ERR_NOSPC);
	assert_int_equal(lt_err_from_errno(EDQUOT), LETHE_ERR_NOSPC);
	assert_int_equal(lt_err_from_errno(EFBIG), LETHE_ERR_NOSPC);
	assert_int_equal(lt_err_from_errno(EIO), LETHE_ERR_IO);
	assert_int_equal(lt_err_from_errno(EACCES), LETHE_ERR_IO);
	assert_int_equal(lt_err_from_errno(ENOMEM), LETHE_ERR_NOMEM);
}

/* A saved detail survives whatever is recorded after it, in full, and comes back with a code. */
static void test_save_restore(void **state)
{
	struct lt_err_saved saved;
	char big[LT_ERR_DETAIL_MAX + 100];
	const char *text;

	(void) state;
	lt_err(LETHE_ERR_INTEGRITY, "segment 7 failed authentication");
	text = lt_err_save(&saved);
	assert_string_equal(text, "segment 7 failed authentication");
	lt_err(LETHE_ERR_IO, "audit record could not be written");
	assert_string_equal(text, "segment 7 failed authentication");
	assert_int_equal(lt_err_restore(&saved, LETHE_ERR_INTEGRITY), LETHE_ERR_INTEGRITY);
	assert_string_equal(lt_err_detail(), "segment 7 failed authentication");

	/* the longest detail is kept whole; an empty one restores as empty */
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lt_err(LETHE_ERR_IO, "%s", big);
	lt_err_save(&saved);
	lt_err_clear();
	assert_int_equal(lt_err_restore(&saved, LETHE_OK), LETHE_OK);
	assert_int_equal(strlen(lt_err_detail()), LT_ERR_DETAIL_MAX - 1);
	lt_err_clear();
	lt_err_save(&saved);
	lt_err(LETHE_ERR_IO, "later");
	lt_err_restore(&saved, LETHE_OK);
	assert_string_equal(lt_err_detail(), "");
}

static void *other_thread(void *arg)
{
	(void) arg;
	/* A fresh thread starts with no detail and its failures stay its own. */
	if (lt_err_detail()[0] != '\0')
		return (void *) 1;
	lt_err(LETHE_ERR_IO, "thread detail");
	return NULL;
}

static void test_thread_local(void **state)
{
	pthread_t t;
	void *result = (void *) 2;

	(void) state;
	lt_err(LETHE_ERR_IO, "main detail");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &result), 0);
	assert_null(result);
	assert_string_equal(lt_err_detail(), "main detail");
}

/* Every value of the ABI has its own string; a new value without one fails here. */
static void test_strerror_every_value(void **state)
{
	const int last = LETHE_ERR_CLOCK;

	(void) state;
	for (int a = 0; a <= last; a++) {
		const char *s = lethe_strerror((enum lethe_err) a);

		assert_non_null(s);
		assert_true(strlen(s) > 3);
		assert_string_not_equal(s, "unknown error");
		for (int b = 0; b < a; b++)
			assert_string_not_equal(s, lethe_strerror((enum lethe_err) b));
	}
	assert_string_equal(lethe_strerror((enum lethe_err)(last + 1)), "unknown error");
	assert_string_equal(lethe_strerror((enum lethe_err) - 1), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_detail_recorded),
	    cmocka_unit_test(test_errno_appended),
	    cmocka_unit_test(test_prefix),
	    cmocka_unit_test(test_detail_may_quote_itself),
	    cmocka_unit_test(test_long_detail_truncated),
	    cmocka_unit_test(test_from_errno),
	    cmocka_unit_test(test_save_restore),
	    cmocka_unit_test(test_thread_local),
	    cmocka_unit_test(test_strerror_every_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
