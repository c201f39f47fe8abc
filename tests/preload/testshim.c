/* testshim.c - an LD_PRELOAD library for the end-to-end suites, built only with the tests:
 * shifts the clock the way an attacker's preload library would, and sends syslog lines to a
 * socket the suite reads instead of /dev/log.
 *
 *   LETHE_TEST_CLOCK_SHIFT=N   add N seconds (negative: back) to CLOCK_REALTIME as the process
 *                              reads it: clock_gettime(), gettimeofday(), time()
 *   LETHE_TEST_CLOCK_AFTER=K   leave the first K readings of CLOCK_REALTIME alone and shift the
 *                              ones after: a library that answers lethe's check at open
 *                              truthfully and lies when a decision is taken
 *   LETHE_TEST_CLOCK_FILES=1   shift the file times read through statx(2) (the raw syscall
 *                              lethe uses to ask the kernel's clock) by as much: what a
 *                              system-wide clock change looks like from inside the process
 *   LETHE_TEST_SYSLOG=PATH     connect() to /dev/log goes to the datagram socket PATH
 *
 * Nothing here is linked into lethe; the suites set LD_PRELOAD (tests/cli/lib.sh, preload).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

static long long shift(void)
{
	static long long readings;
	const char *s = getenv("LETHE_TEST_CLOCK_SHIFT");
	const char *after = getenv("LETHE_TEST_CLOCK_AFTER");

	if (after && ++readings <= strtoll(after, NULL, 10))
		return 0;
	return s ? strtoll(s, NULL, 10) : 0;
}

static void *next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	int (*real)(clockid_t, struct timespec *) =
	    (int (*)(clockid_t, struct timespec *)) next("clock_gettime");
	int r = real(clk, ts);

	if (r == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE))
		ts->tv_sec += shift();
	return r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	int (*real)(struct timeval *, void *) =
	    (int (*)(struct timeval *, void *)) next("gettimeofday");
	int r = real(tv, tz);

	if (r == 0)
		tv->tv_sec += shift();
	return r;
}

time_t time(time_t *out)
{
	struct timespec ts;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec;
	if (out)
		*out = t;
	return t;
}

long syscall(long number, ...)
{
	long (*real)(long, ...) = (long (*)(long, ...)) next("syscall");
	long a[6];
	va_list ap;
	long r;

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	r = real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
#ifdef SYS_statx
	if (number == SYS_statx && r == 0 && getenv("LETHE_TEST_CLOCK_FILES")) {
		struct statx *stx = (struct statx *) a[4];

		stx->stx_mtime.tv_sec += shift();
		stx->stx_ctime.tv_sec += shift();
		stx->stx_atime.tv_sec += shift();
		stx->stx_btime.tv_sec += shift();
	}
#endif
	return r;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) =
	    (int (*)(int, const struct sockaddr *, socklen_t)) next("connect");
	const char *to = getenv("LETHE_TEST_SYSLOG");
	const struct sockaddr_un *un = (const struct sockaddr_un *) addr;
	struct sockaddr_un other;

	if (to && addr && addr->sa_family == AF_UNIX && strcmp(un->sun_path, "/dev/log") == 0 &&
	    strlen(to) < sizeof(other.sun_path)) {
		memset(&other, 0, sizeof(other));
		other.sun_family = AF_UNIX;
		memcpy(other.sun_path, to, strlen(to));
		return real(fd, (const struct sockaddr *) &other, sizeof(other));
	}
	return real(fd, addr, len);
}
