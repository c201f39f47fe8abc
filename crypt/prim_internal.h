/* prim_internal.h - helpers shared by the files of crypt/ only (they may name OpenSSL). */
#ifndef LT_CRYPT_PRIM_INTERNAL_H
#define LT_CRYPT_PRIM_INTERNAL_H

#include <stddef.h>

#include "include/lethe.h"

/*
 * Record LETHE_ERR_CRYPTO with @p what and this thread's OpenSSL error queue, empty the queue,
 * and return LETHE_ERR_CRYPTO.
 */
enum lethe_err lt_crypto_fail(const char *what);

/*
 * After a call whose failure can be a verdict on its input (a tag or a signature that does not
 * verify, text that is not PEM) and that failed: did OpenSSL fail for a reason of its own? Its
 * allocation and internal failures carry reasons flagged fatal (ERR_R_MALLOC_FAILURE,
 * ERR_R_INTERNAL_ERROR); a verdict leaves nothing fatal on the queue. Returns LETHE_ERR_CRYPTO,
 * recorded as lt_crypto_fail() does, in the first case; LETHE_OK with the queue emptied in the
 * second, for the caller to report its verdict. The caller empties the queue before the call,
 * so that nothing left there by earlier work (libcryptsetup shares it) is taken for this.
 */
enum lethe_err lt_crypto_failed_itself(const char *what);

/*
 * Read every byte of a key about to be handed to OpenSSL. OpenSSL is not built with the
 * sanitizer, so its reads of a freed key go unseen; this read is instrumented, and in the
 * sanitizer build ASan reports a key used after free (or past its end) right here, with the
 * stacks of its allocation and its free. Compiled away in other builds.
 */
#ifdef LETHE_SANITIZE
static inline void lt_key_touch(const void *key, size_t len)
{
	const volatile unsigned char *p = key;
	unsigned char any = 0;

	for (size_t i = 0; i < len; i++)
		any |= p[i];
	(void) any;
}
#else
#define lt_key_touch(key, len) ((void) (key), (void) (len))
#endif

#endif
