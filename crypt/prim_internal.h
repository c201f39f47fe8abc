/* prim_internal.h - helpers shared by the files of crypt/ only (they may name OpenSSL). */
#ifndef LT_CRYPT_PRIM_INTERNAL_H
#define LT_CRYPT_PRIM_INTERNAL_H

#include "include/lethe.h"

/*
 * Record LETHE_ERR_CRYPTO with @p what and this thread's OpenSSL error queue, empty the queue,
 * and return LETHE_ERR_CRYPTO.
 */
enum lethe_err lt_crypto_fail(const char *what);

#endif
