/* err.h - error detail recording: the layer that knows why a call failed says so once. */
#ifndef LT_COMMON_ERR_H
#define LT_COMMON_ERR_H

#include "include/lethe.h"

/* The longest detail kept, NUL included; a longer one is cut. */
#define LT_ERR_DETAIL_MAX 1024

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

/*
 * A copy of a detail, for a step that may record its own (an audit record, a cleanup, a
 * rollback) while the detail that counts is an earlier one:
 *
 *     struct lt_err_saved saved;
 *
 *     lt_err_save(&saved);
 *     (void) cleanup(...);
 *     return lt_err_restore(&saved, rc);
 *
 * lt_err_save() returns the copy's text, stable while @p saved lives, so it can also stand
 * where the detail itself would be overwritten before it is read (the error text of an audit
 * event).
 */
struct lt_err_saved {
	char text[LT_ERR_DETAIL_MAX];
};

const char *lt_err_save(struct lt_err_saved *saved);

/* Keep the current detail with what it belongs to (a row's own fault, reported later beside
 * it), cut to @p len - 1 bytes; not a save and restore around other work: lt_err_save() is. */
void lt_err_keep(char *buf, size_t len);

/* Make @p saved the current detail again; returns @p code. */
enum lethe_err lt_err_restore(const struct lt_err_saved *saved, enum lethe_err code);

/* Map an errno from a failed write/fsync/rename to LETHE_ERR_NOSPC or LETHE_ERR_IO. */
enum lethe_err lt_err_from_errno(int errno_value);

#endif
