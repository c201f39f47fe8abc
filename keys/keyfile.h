/* keyfile.h - the service keyfile: 256 random bits in a 0600 file outside the store. */
#ifndef LT_KEYS_KEYFILE_H
#define LT_KEYS_KEYFILE_H

#include <stdint.h>

#include "common/sizes.h"
#include "include/lethe.h"

/* Create @p path (O_EXCL, 0600) holding LT_SERVICE_KEY_LEN random bytes, fsynced; @p key receives them. */
enum lethe_err lt_keyfile_create(const char *path, uint8_t key[LT_SERVICE_KEY_LEN]);

/*
 * Read the 32-byte key of @p path after lt_check_private_file(). LETHE_ERR_PERMISSION for
 * loose modes or another owner, LETHE_ERR_UNLOCK for a file that is not exactly 32 bytes,
 * LETHE_ERR_NOT_FOUND when missing.
 */
enum lethe_err lt_keyfile_read(const char *path, uint8_t key[LT_SERVICE_KEY_LEN]);

#endif
