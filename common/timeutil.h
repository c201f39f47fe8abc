/* timeutil.h - UTC time, durations and sizes as lethe writes and reads them. */
#ifndef LT_COMMON_TIMEUTIL_H
#define LT_COMMON_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"

/* Seconds / microseconds since the epoch (CLOCK_REALTIME). There is no way to fake "now". */
int64_t lt_now(void);
int64_t lt_now_us(void);

/* "Ns" "Nm" "Nh" "Nd" "Nw" (N decimal, 1..; no sign, no spaces) -> seconds; overflow-checked. */
enum lethe_err lt_duration_parse(const char *text, int64_t *seconds);

/* Seconds -> the largest exact unit: 604800 -> "1w", 90000 -> "25h". buf >= 24. */
void lt_duration_format(int64_t seconds, char *buf, size_t len);

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" -> seconds since the epoch (UTC). */
enum lethe_err lt_time_parse(const char *text, int64_t *seconds);

/*
 * A time typed by a person: as lt_time_parse(), or with a space for the 'T', minutes only,
 * a fraction of a second (ignored), and an offset ("2026-11-23 13:34+02:00"). A time of day
 * needs Z or an offset. For lethe_time_parse(); what lethe reads back uses lt_time_parse().
 */
enum lethe_err lt_time_parse_input(const char *text, int64_t *seconds);

/* RFC 3339 UTC, "2026-11-23T11:34:05Z"; buf >= 21. */
void lt_time_format(int64_t seconds, char *buf, size_t len);

/* RFC 3339 UTC with microseconds, "2026-11-23T11:34:05.123456Z"; buf >= 28. */
void lt_time_format_us(int64_t microseconds, char *buf, size_t len);

/* "64KiB", "1MiB", "4096", "256MiB", "1GiB" -> bytes. */
enum lethe_err lt_size_parse(const char *text, uint64_t *bytes);

/* Human-readable size: "1.5 MiB", "512 B". buf >= 16. */
void lt_size_format(uint64_t bytes, char *buf, size_t len);

#endif
