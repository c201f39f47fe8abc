/* pace.h - a byte-rate limit for background reads (scrub --limit-rate). */
#ifndef LT_COMMON_PACE_H
#define LT_COMMON_PACE_H

#include <stdint.h>

/*
 * Reads are accounted as they happen and the caller sleeps whenever it is ahead of the rate:
 * after n bytes it may not go on before n / rate seconds have passed since the first call.
 * Time spent below the rate (slow disks, other work) is not saved up for a burst later: the
 * schedule never starts earlier than now.
 */
struct lt_pace {
	uint64_t rate;  /* bytes per second; 0: no limit */
	int64_t due_ns; /* CLOCK_MONOTONIC time before which no more may be read */
	int started;
};

void lt_pace_init(struct lt_pace *pace, uint64_t bytes_per_second);

/* Account @p bytes just read, then sleep until the rate allows more. */
void lt_pace_wait(struct lt_pace *pace, uint64_t bytes);

#endif
