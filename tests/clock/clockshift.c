/* clockshift.c - an LD_PRELOAD clock for attack tests (T3): CLOCK_REALTIME and time() shifted
 * by LETHE_TEST_CLOCK_SHIFT seconds (signed), as an attacker's preload library would. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static long long shift_seconds(void)
{
	const char *s = getenv("LETHE_TEST_CLOCK_SHIFT");

	return s ? strtoll(s, NULL, 10) : 0;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (!real)
		real = (int (*)(clockid_t, struct timespec *)) dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += (time_t) shift_seconds();
	return rc;
}

time_t time(time_t *out)
{
	struct timespec ts;
	time_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = ts.tv_sec;
	if (out)
		*out = now;
	return now;
}
