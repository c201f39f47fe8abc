/* pace.c - a byte-rate limit for background reads: sleep when ahead of the schedule. */
#include "common/pace.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define NS_PER_S INT64_C(1000000000)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

void lt_pace_init(struct lt_pace *pace, uint64_t bytes_per_second)
{
	memset(pace, 0, sizeof(*pace));
	pace->rate = bytes_per_second;
}

void lt_pace_wait(struct lt_pace *pace, uint64_t bytes)
{
	struct timespec until;
	int64_t now, cost;

	if (pace->rate == 0)
		return;
	now = now_ns();
	if (!pace->started || pace->due_ns < now)
		pace->due_ns = now; /* behind schedule: no credit for the time lost */
	pace->started = 1;
	/* in double: no overflow for any rate, and nanoseconds stay exact below 2^53 (104 days) */
	cost = (int64_t) ((double) bytes * (double) NS_PER_S / (double) pace->rate);
	pace->due_ns += cost;
	if (pace->due_ns <= now)
		return;
	until.tv_sec = (time_t) (pace->due_ns / NS_PER_S);
	until.tv_nsec = (long) (pace->due_ns % NS_PER_S);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}
