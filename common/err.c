/* err.c - per-thread error detail, errno mapping, and the public lethe_strerror/errdetail.
 *
 * The detail is a fixed thread-local buffer: recording an error never allocates, so it works
 * when memory is exhausted, and threads never see each other's failures.
 */
#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_detail[LT_ERR_DETAIL_MAX];

/*
 * Format through a local buffer: callers may pass lt_err_detail() itself as an argument
 * ("...: %s", lt_err_detail()), and vsnprintf onto its own source is undefined.
 * Truncation is fine: a cut detail is better than none.
 */
static void detail_vset(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void detail_vset(const char *fmt, va_list ap)
{
	char line[LT_ERR_DETAIL_MAX];

	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): analyzer bug, llvm#40656 */
	(void) vsnprintf(line, sizeof(line), fmt, ap);
	memcpy(err_detail, line, sizeof(err_detail));
}

enum lethe_err lt_err(enum lethe_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	detail_vset(fmt, ap);
	va_end(ap);
	return code;
}

/* Append @p text to the detail, cutting it at the buffer's end. */
static void detail_append(const char *text)
{
	size_t used = strnlen(err_detail, sizeof(err_detail) - 1);
	size_t room = sizeof(err_detail) - 1 - used;
	size_t n = strnlen(text, room);

	memcpy(err_detail + used, text, n);
	err_detail[used + n] = '\0';
}

enum lethe_err lt_err_errno(enum lethe_err code, int errno_value, const char *fmt, ...)
{
	char reason[128];
	va_list ap;

	va_start(ap, fmt);
	detail_vset(fmt, ap);
	va_end(ap);
	detail_append(": ");
	/* GNU strerror_r may return a static string instead of filling the buffer. */
	detail_append(strerror_r(errno_value, reason, sizeof(reason)));
	if (errno_value == ENOSPC)
		detail_append(" (the disk is full)"); /* "device" does not say which one is meant */
	return code;
}

void lt_err_prefix(const char *fmt, ...)
{
	char old[LT_ERR_DETAIL_MAX];
	va_list ap;

	memcpy(old, err_detail, sizeof(old));
	va_start(ap, fmt);
	detail_vset(fmt, ap);
	va_end(ap);
	if (old[0] != '\0') {
		detail_append(": ");
		detail_append(old);
	}
}

const char *lt_err_detail(void)
{
	return err_detail;
}

void lt_err_clear(void)
{
	err_detail[0] = '\0';
}

const char *lt_err_save(struct lt_err_saved *saved)
{
	memcpy(saved->text, err_detail, sizeof(saved->text));
	return saved->text;
}

enum lethe_err lt_err_restore(const struct lt_err_saved *saved, enum lethe_err code)
{
	memcpy(err_detail, saved->text, sizeof(err_detail));
	return code;
}

enum lethe_err lt_err_from_errno(int errno_value)
{
	switch (errno_value) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return LETHE_ERR_NOSPC;
	case ENOMEM:
		return LETHE_ERR_NOMEM;
	default:
		return LETHE_ERR_IO;
	}
}

/* No default: -Wswitch-enum makes a new enum value without a string a build error. */
LETHE_API const char *lethe_strerror(enum lethe_err err)
{
	switch (err) {
	case LETHE_OK:
		return "success";
	case LETHE_ERR_INTERNAL:
		return "internal error";
	case LETHE_ERR_NOMEM:
		return "out of memory";
	case LETHE_ERR_IO:
		return "input/output error";
	case LETHE_ERR_NOSPC:
		return "no space left";
	case LETHE_ERR_INVALID:
		return "invalid argument";
	case LETHE_ERR_CONFIG:
		return "invalid configuration";
	case LETHE_ERR_NOT_FOUND:
		return "not found";
	case LETHE_ERR_SHREDDED:
		return "object has been shredded";
	case LETHE_ERR_EXISTS:
		return "already exists";
	case LETHE_ERR_INTEGRITY:
		return "integrity check failed";
	case LETHE_ERR_HELD:
		return "refused: on legal hold";
	case LETHE_ERR_LOCKED:
		return "refused: retention is locked (compliance mode)";
	case LETHE_ERR_NOT_EXPIRED:
		return "refused: retention period not over";
	case LETHE_ERR_KEK_IN_USE:
		return "refused: key still in use";
	case LETHE_ERR_LAST_OFFICER:
		return "refused: cannot remove the last officer";
	case LETHE_ERR_PERMISSION:
		return "unsafe file permissions or ownership";
	case LETHE_ERR_UNLOCK:
		return "wrong keyfile or passphrase";
	case LETHE_ERR_NOT_OFFICER:
		return "officer passphrase required";
	case LETHE_ERR_BUSY:
		return "database busy";
	case LETHE_ERR_KEYSTORE:
		return "keystore missing or invalid";
	case LETHE_ERR_DATABASE:
		return "database error";
	case LETHE_ERR_CRYPTO:
		return "cryptographic library failure";
	case LETHE_ERR_SHORTENS:
		return "refused: would shorten retention";
	case LETHE_ERR_CLOCK:
		return "refused: the clock cannot be trusted";
	}
	return "unknown error";
}

LETHE_API const char *lethe_errdetail(void)
{
	return lt_err_detail();
}

void lt_err_keep(char *buf, size_t len)
{
	if (len)
		snprintf(buf, len, "%s", lt_err_detail());
}
