/* test_common_log.c - audit lines reach the sink, or the syslog socket, with facility AUTHPRIV,
 * the right level and lethe's own ident. */
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
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval timeout = { 1, 0 };
	const char *body;
	int fd;

	(void) state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), 0);
	openlog("host-program", LOG_PID, LOG_LOCAL3);
	lt_log_set_path(path);

	lt_log_audit(true, false, "seq=1 action=put");
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "<86>", 4); /* LOG_AUTHPRIV (10 << 3) | LOG_INFO */
	snprintf(expect, sizeof(expect), " lethe[%d]: ", (int)getpid());
	body = strstr(buf, expect);
	assert_non_null(body);
	/* "<86>" then "Mmm dd hh:mm:ss" (15 bytes), as syslog(3) writes it */
	assert_int_equal(body - buf, 4 + 15);
	assert_string_equal(body + strlen(expect), "seq=1 action=put");

	lt_log_audit(true, true, "action=unlock outcome=failed");
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_memory_equal(buf, "<84>", 4); /* LOG_AUTHPRIV | LOG_WARNING */
	assert_non_null(strstr(buf, expect));

	/* the daemon restarted (a new socket at the same path): the next line still arrives */
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), 0);
	lt_log_audit(true, false, "seq=2");
	assert_true(receive(fd, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, " lethe["));

	/* no daemon: the line is lost quietly, as with syslog(3) */
	close(fd);
	unlink(path);
	lt_log_audit(true, false, "seq=3");

	lt_log_set_path(NULL);
	closelog();
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels),
	    cmocka_unit_test(test_disabled),
	    cmocka_unit_test(test_socket_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
