/* test_common_log.c - audit lines reach the sink with facility AUTHPRIV and the right level. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "common/log.h"

struct capture {
	int calls;
	int priority;
	char line[256];
};

static void sink(int priority, const char *line, void *ctx)
{
	struct capture *c = ctx;

	c->calls++;
	c->priority = priority;
	strncpy(c->line, line, sizeof(c->line) - 1);
}

static void test_levels(void **state)
{
	struct capture c = {0};

	(void) state;
	lt_log_set_sink(sink, &c);
	lt_log_audit(true, false, "put 3f1c ok");
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.priority, LOG_AUTHPRIV | LOG_INFO);
	assert_string_equal(c.line, "put 3f1c ok");
	lt_log_audit(true, true, "unlock failed: wrong passphrase");
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.priority, LOG_AUTHPRIV | LOG_WARNING);
	/* "%" in a line is data, never a format. */
	lt_log_audit(true, false, "name %s%n");
	assert_string_equal(c.line, "name %s%n");
	lt_log_set_sink(NULL, NULL);
}

static void test_disabled(void **state)
{
	struct capture c = {0};

	(void) state;
	lt_log_set_sink(sink, &c);
	lt_log_audit(false, true, "nothing");
	lt_log_audit(true, true, NULL);
	assert_int_equal(c.calls, 0);
	lt_log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels),
	    cmocka_unit_test(test_disabled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
