/* test_audit_syslog.c - audit lines reach the sink, or the syslog socket, with facility AUTHPRIV,
 * the right level and lethe's own ident; their fields cannot be forged by their values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "audit/syslog.h"

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
	lt_syslog_set_sink(sink, &c);
	lt_syslog_send(true, false, "put 3f1c ok");
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.priority, LOG_AUTHPRIV | LOG_INFO);
	assert_string_equal(c.line, "put 3f1c ok");
	lt_syslog_send(true, true, "unlock failed: wrong passphrase");
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.priority, LOG_AUTHPRIV | LOG_WARNING);
	/* "%" in a line is data, never a format. */
	lt_syslog_send(true, false, "name %s%n");
	assert_string_equal(c.line, "name %s%n");
	lt_syslog_set_sink(NULL, NULL);
}

static void test_disabled(void **state)
{
	struct capture c = {0};

	(void) state;
	lt_syslog_set_sink(sink, &c);
	lt_syslog_send(false, true, "nothing");
	lt_syslog_send(true, true, NULL);
	assert_int_equal(c.calls, 0);
	lt_syslog_set_sink(NULL, NULL);
}

/* Receive one datagram from @p fd (1 s at most) into @p buf. */
static ssize_t receive(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* What a syslog daemon receives: "<PRI>Mmm dd hh:mm:ss lethe[PID]: line", whatever ident and
 * facility the program set with openlog(). */
static void test_socket_message(void **state)
{
	char dir[] = "/tmp/lethe-test-log.XXXXXX", path[80], buf[8192], expect[64];
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct timeval timeout = {1, 0};
	const char *body;
	int fd;

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *) &addr, sizeof(addr)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), 0);
	openlog("host-program", LOG_PID, LOG_LOCAL3);
	lt_syslog_set_path(path);

	lt_syslog_send(true, false, "seq=1 action=put");
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "<86>", 4); /* LOG_AUTHPRIV (10 << 3) | LOG_INFO */
	snprintf(expect, sizeof(expect), " lethe[%d]: ", (int) getpid());
	body = strstr(buf, expect);
	assert_non_null(body);
	/* "<86>" then "Mmm dd hh:mm:ss" (15 bytes), as syslog(3) writes it */
	assert_int_equal(body - buf, 4 + 15);
	assert_string_equal(body + strlen(expect), "seq=1 action=put");

	lt_syslog_send(true, true, "action=unlock outcome=failed");
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "<84>", 4); /* LOG_AUTHPRIV | LOG_WARNING */
	assert_non_null(strstr(buf, expect));

	/* the daemon restarted (a new socket at the same path): the next line still arrives */
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *) &addr, sizeof(addr)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), 0);
	lt_syslog_send(true, false, "seq=2");
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " lethe["));

	/* no daemon: the line is lost quietly, as with syslog(3) */
	close(fd);
	unlink(path);
	lt_syslog_send(true, false, "seq=3");

	lt_syslog_set_path(NULL);
	closelog();
	assert_int_equal(rmdir(dir), 0);
}

static const char *field(const char *key, const char *value)
{
	static char buf[512];
	struct lt_logfmt f;

	lt_logfmt_init(&f, buf, sizeof(buf));
	lt_logfmt_str(&f, key, value);
	assert_false(f.truncated);
	assert_int_equal(strlen(buf), strlen(key) + 1 + lt_logfmt_value_len(value));
	return buf;
}

static void test_escaping(void **state)
{
	(void) state;
	/* words stay bare */
	assert_string_equal(field("seq", "1207"), "seq=1207");
	assert_string_equal(field("time", "2026-11-23T00:23:41.120334Z"),
			    "time=2026-11-23T00:23:41.120334Z");
	assert_string_equal(field("object", "0b7c59a2-5e1f-4c8e-9a0b-1c2d3e4f5a6b"),
			    "object=0b7c59a2-5e1f-4c8e-9a0b-1c2d3e4f5a6b");
	assert_string_equal(field("user", "svc_files.1@corp"), "user=svc_files.1@corp");
	/* anything else is quoted, and what would end the quotes is escaped */
	assert_string_equal(field("error", ""), "error=\"\"");
	assert_string_equal(field("user", "x action=key.retire outcome=ok"),
			    "user=\"x action=key.retire outcome=ok\"");
	assert_string_equal(field("user", "a=b"), "user=\"a=b\"");
	assert_string_equal(field("error", "say \"hi\" \\ bye"),
			    "error=\"say \\\"hi\\\" \\\\ bye\"");
	assert_string_equal(field("error", "a\nseq=9 action=rm\r\t"),
			    "error=\"a\\nseq=9 action=rm\\r\\t\"");
	assert_string_equal(field("host", "\x01\x1b[31m\x7f"), "host=\"\\x01\\x1b[31m\\x7f\"");
	assert_string_equal(field("user", "J\xc3\xb6rg"), "user=\"J\\xc3\\xb6rg\"");
	assert_string_equal(field("error", NULL), "error=\"\"");
}

static void test_line_and_truncation(void **state)
{
	char buf[64];
	struct lt_logfmt f;

	(void) state;
	lt_logfmt_init(&f, buf, sizeof(buf));
	lt_logfmt_u64(&f, "seq", 18446744073709551615ULL);
	lt_logfmt_i64(&f, "pid", -1);
	lt_logfmt_str(&f, "action", "put");
	assert_false(f.truncated);
	assert_string_equal(buf, "seq=18446744073709551615 pid=-1 action=put");
	/* 30 bytes cannot hold the error: it is left out whole, and so is every later field */
	lt_logfmt_init(&f, buf, 30);
	lt_logfmt_str(&f, "action", "put");
	lt_logfmt_str(&f, "error", "a long \"quoted\" error text");
	lt_logfmt_str(&f, "x", "y");
	assert_true(f.truncated);
	assert_string_equal(buf, "action=put");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels),
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_socket_message),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_line_and_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
