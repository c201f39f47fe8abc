/* luks.h - the libcryptsetup plumbing keystore.c and authority.c share: keys/ only. */
#ifndef LT_KEYS_LUKS_H
#define LT_KEYS_LUKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"
#include "keys/keystore.h"

struct crypt_device;

/* Open @p path as a LUKS2 header: owner and mode checked, loaded. */
enum lethe_err lt_luks_open(const char *path, struct crypt_device **out);

/* "path: what: libcryptsetup's message" as @p code (LETHE_ERR_NOMEM for -ENOMEM). */
enum lethe_err lt_luks_fail(enum lethe_err code, int r, const char *path, const char *what);

/* Create @p path (0600, O_EXCL, the keystore's size and layout) formatted around the 32-byte
 * @p volume_key with @p label, no keyslot yet; removed again on failure. */
enum lethe_err lt_luks_create(const char *path, const uint8_t *volume_key, const char *label,
			      struct crypt_device **out);

/* fsync the file and its directory. */
enum lethe_err lt_luks_sync(const char *path);

/* An OFD write lock on the whole file across a check and a change; lt_luks_unlock() drops it. */
enum lethe_err lt_luks_lock(const char *path, int *fd);
void lt_luks_unlock(int fd);

/* Argon2id at @p kdf for the keyslots added next. */
enum lethe_err lt_luks_officer_pbkdf(struct crypt_device *cd, const char *path,
				     const struct lt_kdf_params *kdf);

/* The 32-byte volume key from @p keyslot alone; LETHE_ERR_UNLOCK (no detail) when @p secret
 * does not open it; @p key wiped on any failure. */
enum lethe_err lt_luks_try_keyslot(struct crypt_device *cd, const char *path, int keyslot,
				   const void *secret, size_t secret_len, uint8_t *key);

bool lt_luks_keyslot_active(struct crypt_device *cd, int keyslot);

/* Whether officer @p name can be removed, by what the header holds: @p found, whether it names
 * that officer, and @p officers, how many it has. LETHE_ERR_NOT_FOUND or LETHE_ERR_LAST_OFFICER
 * saying why, else LETHE_OK. */
enum lethe_err lt_luks_officer_removable(const char *name, bool found, size_t officers);

#endif
