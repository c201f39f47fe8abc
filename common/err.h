/* err.h - error detail recording: the layer that knows why a call failed says so once. */
#ifndef LT_COMMON_ERR_H
#define LT_COMMON_ERR_H

#include "include/lethe.h"

/*
 * Record a one-line detail for the current thread ("segment 7 failed authentication") and
 * return @p code, so a failure reads: return lt_err(LETHE_ERR_INTEGRITY, "segment %u ...", i);
 * The detail must never contain key material or plaintext.
 */
enum lethe_err lt_err(enum lethe_err code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* As lt_err() with ": strerror(errno_value)" appended. */
enum lethe_err lt_err_errno(enum lethe_err code, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "PREFIX: " in front of the current detail (callers adding context, e.g. a file name). */
void lt_err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The current thread's detail ("" when none). */
const char *lt_err_detail(void);

/* Forget the current detail. */
void lt_err_clear(void);

/* Map an errno from a failed write/fsync/rename to LETHE_ERR_NOSPC or LETHE_ERR_IO. */
enum lethe_err lt_err_from_errno(int errno_value);

#endif
