/* timeutil.c - UTC time, durations and sizes: strict parsers, exact formatters.
 *
 * Calendar arithmetic is done here (proleptic Gregorian, days from 1970-01-01) instead of
 * through timegm()/gmtime_r(), so parsing never depends on TZ, locale or the width of time_t.
 */
#include "common/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"

/* How much of a rejected input an error message quotes. */
#define QUOTE_MAX 40

int64_t lt_now(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec;
}

int64_t lt_now_us(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Parse the unsigned decimal at *p (at least one digit) into *value, refusing overflow past
 * @p max; advance *p past the digits.
 */
static bool parse_decimal(const char **p, uint64_t max, uint64_t *value)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned digit = (unsigned) (*s - '0');

		if (v > (max - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*p = s;
	*value = v;
	return true;
}

static int64_t unit_seconds(char unit)
{
	switch (unit) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 604800;
	case 'y':
		return 31557600; /* a Julian year: 365.25 days of 86400 s, exactly */
	default:
		return 0;
	}
}

enum lethe_err lt_duration_parse(const char *text, int64_t *seconds)
{
	const char *p = text;
	uint64_t count;
	int64_t unit;

	*seconds = 0;
	if (!text)
		return lt_err(LETHE_ERR_INVALID, "missing duration");
	if (!parse_decimal(&p, (uint64_t) INT64_MAX, &count))
		goto bad;
	unit = p[0] != '\0' ? unit_seconds(p[0]) : 0;
	if (unit == 0 || p[1] != '\0')
		goto bad;
	if (count == 0)
		return lt_err(LETHE_ERR_INVALID, "duration \"%.*s\" is zero", QUOTE_MAX, text);
	if (count > (uint64_t) (INT64_MAX / unit))
		return lt_err(LETHE_ERR_INVALID, "duration \"%.*s\" is too large", QUOTE_MAX, text);
	*seconds = (int64_t) count * unit;
	return LETHE_OK;
bad:
	return lt_err(LETHE_ERR_INVALID,
		      "bad duration \"%.*s\": expected a number and a unit s, m, h, d, w or y "
		      "(\"90d\")",
		      QUOTE_MAX, text);
}

void lt_duration_format(int64_t seconds, char *buf, size_t len)
{
	static const char units[] = "ywdhm";
	char unit = 's';
	int64_t count = seconds;

	if (seconds > 0) {
		for (const char *u = units; *u; u++) {
			if (seconds % unit_seconds(*u) == 0) {
				unit = *u;
				count = seconds / unit_seconds(*u);
				break;
			}
		}
	}
	(void) snprintf(buf, len, "%lld%c", (long long) count, unit);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned) (y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t) doe - 719468;
}

/* The inverse of days_from_civil(). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned) (z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t) yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Exactly @p width digits at @p s; no sign, no spaces. */
static bool fixed_digits(const char *s, unsigned width, unsigned *value)
{
	unsigned v = 0;

	for (unsigned i = 0; i < width; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned) (s[i] - '0');
	}
	*value = v;
	return true;
}

enum lethe_err lt_time_parse(const char *text, int64_t *seconds)
{
	unsigned year, month, day, hour = 0, minute = 0, second = 0;
	size_t len;

	*seconds = 0;
	if (!text)
		return lt_err(LETHE_ERR_INVALID, "missing date");
	len = strlen(text);
	if (len != 10 && len != 20)
		goto bad;
	if (!fixed_digits(text, 4, &year) || text[4] != '-' || !fixed_digits(text + 5, 2, &month) ||
	    text[7] != '-' || !fixed_digits(text + 8, 2, &day))
		goto bad;
	if (len == 20 &&
	    (text[10] != 'T' || !fixed_digits(text + 11, 2, &hour) || text[13] != ':' ||
	     !fixed_digits(text + 14, 2, &minute) || text[16] != ':' ||
	     !fixed_digits(text + 17, 2, &second) || text[19] != 'Z'))
		goto bad;
	/* No year 0, no leap second: neither has a well-defined meaning here. */
	if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
	    hour > 23 || minute > 59 || second > 59)
		return lt_err(LETHE_ERR_INVALID, "date \"%.*s\" does not exist", QUOTE_MAX, text);
	*seconds = days_from_civil(year, month, day) * 86400 + (int64_t) hour * 3600 +
		   (int64_t) minute * 60 + second;
	return LETHE_OK;
bad:
	return lt_err(LETHE_ERR_INVALID,
		      "bad date \"%.*s\": expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)",
		      QUOTE_MAX, text);
}

/*
 * A time as people type it on a command line (lethe_time_parse()): a date alone (midnight
 * UTC), or a date and a time of day, 'T' or a space between them, seconds optional, a fraction
 * of a second ignored (audit records carry microseconds), and a zone: Z, or an offset +HH:MM,
 * -HH:MM, +HHMM. A time of day without a zone is refused rather than guessed. What lethe
 * writes and verifies (certificates, policy rows) stays with the one spelling of
 * lt_time_parse().
 */
enum lethe_err lt_time_parse_input(const char *text, int64_t *seconds)
{
	unsigned hour = 0, minute = 0, second = 0, off_hour = 0, off_minute = 0;
	char canonical[16];
	const char *p;
	int64_t offset = 0;
	enum lethe_err rc;

	*seconds = 0;
	if (!text)
		return lt_err(LETHE_ERR_INVALID, "missing date");
	if (strlen(text) == 10)
		return lt_time_parse(text, seconds);
	if (strnlen(text, 11) < 11 || (text[10] != 'T' && text[10] != 't' && text[10] != ' '))
		goto bad;
	memcpy(canonical, text, 10);
	canonical[10] = '\0';
	p = text + 11;
	if (!fixed_digits(p, 2, &hour) || p[2] != ':' || !fixed_digits(p + 3, 2, &minute))
		goto bad;
	p += 5;
	if (p[0] == ':') {
		if (!fixed_digits(p + 1, 2, &second))
			goto bad;
		p += 3;
		if (p[0] == '.' && p[1] >= '0' && p[1] <= '9')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
	}
	if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
		offset = 0;
	} else if (p[0] == '+' || p[0] == '-') {
		const char *m;
		if (!fixed_digits(p + 1, 2, &off_hour))
			goto bad;
		m = p[3] == ':' ? p + 4 : p + 3; /* p[3] exists: p[1] and p[2] are digits */
		if (!fixed_digits(m, 2, &off_minute) || m[2] != '\0' || off_hour > 23 ||
		    off_minute > 59)
			goto bad;
		offset = (int64_t) off_hour * 3600 + (int64_t) off_minute * 60;
		if (p[0] == '-')
			offset = -offset;
	} else {
		goto bad;
	}
	if (hour > 23 || minute > 59 || second > 59)
		return lt_err(LETHE_ERR_INVALID, "time \"%.*s\" does not exist", QUOTE_MAX, text);
	rc = lt_time_parse(canonical, seconds);
	if (rc != LETHE_OK)
		return rc;
	*seconds += (int64_t) hour * 3600 + (int64_t) minute * 60 + second - offset;
	return LETHE_OK;
bad:
	return lt_err(LETHE_ERR_INVALID,
		      "bad time \"%.*s\": expected YYYY-MM-DD, or YYYY-MM-DD HH:MM[:SS] with Z or "
		      "an offset such as +02:00",
		      QUOTE_MAX, text);
}

/* Floor division, so times before 1970 land on the right day. */
static void split_seconds(int64_t seconds, int64_t *days, unsigned *secs_of_day)
{
	int64_t q = seconds / 86400;
	int64_t r = seconds % 86400;

	if (r < 0) {
		r += 86400;
		q -= 1;
	}
	*days = q;
	*secs_of_day = (unsigned) r;
}

/*
 * Copy @p text into @p buf, cut to @p len - 1 bytes. Years past 9999 do not fit the fixed
 * widths callers size their buffers for; they are cut, never overflowed.
 */
static void copy_out(char *buf, size_t len, const char *text)
{
	size_t n;

	if (len == 0)
		return;
	n = strnlen(text, len - 1);
	memcpy(buf, text, n);
	buf[n] = '\0';
}

void lt_time_format(int64_t seconds, char *buf, size_t len)
{
	unsigned month, day, sod;
	int64_t days, year;
	char text[64];

	split_seconds(seconds, &days, &sod);
	civil_from_days(days, &year, &month, &day);
	(void) snprintf(text, sizeof(text), "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long) year,
			month, day, sod / 3600, sod / 60 % 60, sod % 60);
	copy_out(buf, len, text);
}

void lt_time_format_us(int64_t microseconds, char *buf, size_t len)
{
	int64_t seconds = microseconds / 1000000;
	int64_t micros = microseconds % 1000000;
	unsigned month, day, sod;
	int64_t days, year;
	char text[64];

	if (micros < 0) {
		micros += 1000000;
		seconds -= 1;
	}
	split_seconds(seconds, &days, &sod);
	civil_from_days(days, &year, &month, &day);
	(void) snprintf(text, sizeof(text), "%04lld-%02u-%02uT%02u:%02u:%02u.%06lldZ",
			(long long) year, month, day, sod / 3600, sod / 60 % 60, sod % 60,
			(long long) micros);
	copy_out(buf, len, text);
}

static uint64_t size_multiplier(const char *suffix)
{
	static const struct {
		const char *suffix;
		uint64_t bytes;
	} units[] = {
	    {"", 1},
	    {"KiB", 1ULL << 10},
	    {"MiB", 1ULL << 20},
	    {"GiB", 1ULL << 30},
	    {"TiB", 1ULL << 40},
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(suffix, units[i].suffix) == 0)
			return units[i].bytes;
	return 0;
}

enum lethe_err lt_size_parse(const char *text, uint64_t *bytes)
{
	const char *p = text;
	uint64_t count, unit;

	*bytes = 0;
	if (!text)
		return lt_err(LETHE_ERR_INVALID, "missing size");
	if (!parse_decimal(&p, UINT64_MAX, &count))
		goto bad;
	unit = size_multiplier(p);
	if (unit == 0)
		goto bad;
	if (count > UINT64_MAX / unit)
		return lt_err(LETHE_ERR_INVALID, "size \"%.*s\" is too large", QUOTE_MAX, text);
	*bytes = count * unit;
	return LETHE_OK;
bad:
	return lt_err(LETHE_ERR_INVALID,
		      "bad size \"%.*s\": expected bytes, or a number and KiB, MiB, GiB or TiB "
		      "(\"64KiB\")",
		      QUOTE_MAX, text);
}

void lt_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	uint64_t scale = 1024;
	uint64_t whole, tenth;
	unsigned i = 0;

	if (bytes < 1024) {
		(void) snprintf(buf, len, "%llu B", (unsigned long long) bytes);
		return;
	}
	while (i + 1 < sizeof(units) / sizeof(units[0]) && bytes / scale >= 1024) {
		scale *= 1024;
		i++;
	}
	/* One decimal, rounded down: never claim more than there is. The remainder is below
	 * 2^60, so times 10 cannot overflow. */
	whole = bytes / scale;
	tenth = (bytes % scale) * 10 / scale;

	if (tenth == 0)
		(void) snprintf(buf, len, "%llu %s", (unsigned long long) whole, units[i]);
	else
		(void) snprintf(buf, len, "%llu.%llu %s", (unsigned long long) whole,
				(unsigned long long) tenth, units[i]);
}

LETHE_API enum lethe_err lethe_duration_parse(const char *text, int64_t *seconds)
{
	return lt_duration_parse(text, seconds);
}

LETHE_API enum lethe_err lethe_size_parse(const char *text, uint64_t *bytes)
{
	return lt_size_parse(text, bytes);
}

LETHE_API enum lethe_err lethe_time_parse(const char *text, int64_t *seconds)
{
	return lt_time_parse_input(text, seconds);
}

LETHE_API void lethe_time_format(int64_t seconds, char buf[21])
{
	lt_time_format(seconds, buf, 21);
}

LETHE_API void lethe_size_format(uint64_t bytes, char buf[16])
{
	lt_size_format(bytes, buf, 16);
}
