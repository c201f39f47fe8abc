/* name.h - object names at rest: encrypted under a key derived from the object's data key, so
 * that the shred, which destroys the data key, destroys the name too; and committed to in the
 * disposal certificate under a salt only the store's keys give (docs/KEYS.md section 8).
 *
 *   name key    = HKDF-Expand-SHA256(PRK = DEK, info = "lethe/v1/name" || object id, L = 32)
 *               = HMAC-SHA256(DEK, "lethe/v1/name" || object id || 0x01)
 *                 (no extract step: the DEK is a uniformly random key, RFC 5869 section 3.3)
 *   name_enc    = nonce (12, random) || AES-256-GCM(name key, nonce, AAD = object id, name)
 *                 || tag (16)
 *   salt        = HMAC-SHA256(name-commit key, store id || object id)
 *   name_commit = HMAC-SHA256(salt, name)
 *
 * The object id is its 36-character text, the store id likewise; the name-commit key derives
 * from the master key ("lethe/v1/name-commit", keys/wrap.h). Revealing one object's salt lets
 * anyone check that object's commitment against a name (openssl mac), and nothing else: the
 * salts of other objects stay unknown, so their commitments cannot be tested against guesses.
 */
#ifndef LT_KEYS_NAME_H
#define LT_KEYS_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "crypt/prim.h"
#include "include/lethe.h"

/* Encrypt @p name (at most LETHE_NAME_MAX bytes) of object @p object_id under @p dek into
 * @p out (strlen(name) + 28 bytes, at most LT_NAME_ENC_MAX); *out_len its length. */
enum lethe_err lt_name_seal(const uint8_t dek[LT_KEY_LEN], const char *object_id, const char *name,
			    uint8_t *out, size_t *out_len);

/* Decrypt @p enc (@p len bytes) of object @p object_id into @p name (LETHE_NAME_MAX + 1 bytes,
 * NUL-terminated), deriving the name key into @p scratch (LT_KEY_LEN bytes of the caller's
 * secure memory, wiped before returning: a listing reuses one buffer for every name), with
 * @p kdf when set (a listing's, lt_hkdf_new(): set up once) or a one-shot HKDF.
 * LETHE_ERR_INTEGRITY when it does not open (a row modified or moved) or holds a NUL. */
enum lethe_err lt_name_open(struct lt_hkdf *kdf, const uint8_t dek[LT_KEY_LEN],
			    const char *object_id, const uint8_t *enc, size_t len,
			    uint8_t scratch[LT_KEY_LEN], char name[LETHE_NAME_MAX + 1]);

/* The salt of object @p object_id's name commitment in store @p store_id. */
enum lethe_err lt_name_salt(const uint8_t commit_key[LT_KEY_LEN], const char *store_id,
			    const char *object_id, uint8_t salt[LT_SHA256_LEN]);

/* HMAC-SHA256(@p salt, @p name): the commitment a certificate states. */
enum lethe_err lt_name_commit(const uint8_t salt[LT_SHA256_LEN], const char *name,
			      uint8_t commit[LT_SHA256_LEN]);

#endif
