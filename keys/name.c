/* name.c - object names encrypted under their data key and committed to under a salt
 * (keys/name.h, docs/KEYS.md section 8). */
#include "keys/name.h"

#include <string.h>

#include "common/err.h"
#include "common/sizes.h"
#include "crypt/secmem.h"
#include "store/db.h"

#define NAME_LABEL "lethe/v1/name"

/* HKDF-Expand (the DEK is a uniformly random key already: no extract step), info = the label,
 * then the object id's text. */
static enum lethe_err name_key(struct lt_hkdf *kdf, const uint8_t dek[LT_KEY_LEN],
			       const char *object_id, uint8_t key[LT_KEY_LEN])
{
	uint8_t info[sizeof(NAME_LABEL) - 1 + LETHE_ID_LEN];
	struct lt_hkdf *own = NULL;
	enum lethe_err rc;

	if (!object_id || strlen(object_id) != LETHE_ID_LEN)
		return lt_err(LETHE_ERR_INVALID, "name key: object id is not a UUID");
	memcpy(info, NAME_LABEL, sizeof(NAME_LABEL) - 1);
	memcpy(info + sizeof(NAME_LABEL) - 1, object_id, LETHE_ID_LEN);
	if (kdf)
		return lt_hkdf_derive(kdf, dek, LT_KEY_LEN, info, sizeof(info), key, LT_KEY_LEN);
	rc = lt_hkdf_new(&own);
	if (rc == LETHE_OK)
		rc = lt_hkdf_derive(own, dek, LT_KEY_LEN, info, sizeof(info), key, LT_KEY_LEN);
	lt_hkdf_free(own);
	return rc;
}

enum lethe_err lt_name_seal(const uint8_t dek[LT_KEY_LEN], const char *object_id, const char *name,
			    uint8_t *out, size_t *out_len)
{
	uint8_t *key = lt_secmem_alloc(LT_KEY_LEN);
	size_t n = name ? strlen(name) : 0;
	enum lethe_err rc;

	*out_len = 0;
	if (!key)
		return LETHE_ERR_NOMEM;
	if (n > LETHE_NAME_MAX) {
		rc = lt_err(LETHE_ERR_INVALID, "name longer than %d bytes", LETHE_NAME_MAX);
		goto out;
	}
	rc = name_key(NULL, dek, object_id, key);
	if (rc == LETHE_OK)
		rc = lt_random(out, LT_GCM_NONCE_LEN);
	if (rc == LETHE_OK)
		rc = lt_gcm_seal(key, out, object_id, LETHE_ID_LEN, n ? name : "", n,
				 out + LT_GCM_NONCE_LEN, out + LT_GCM_NONCE_LEN + n);
	if (rc == LETHE_OK)
		*out_len = LT_NAME_ENC_MIN + n;
out:
	lt_secmem_free(key, LT_KEY_LEN);
	return rc;
}

enum lethe_err lt_name_open(struct lt_hkdf *kdf, const uint8_t dek[LT_KEY_LEN],
			    const char *object_id, const uint8_t *enc, size_t len,
			    uint8_t scratch[LT_KEY_LEN], char name[LETHE_NAME_MAX + 1])
{
	uint8_t *key = scratch;
	size_t n;
	enum lethe_err rc;

	name[0] = '\0';
	if (len < LT_NAME_ENC_MIN || len > LT_NAME_ENC_MAX)
		return lt_err(LETHE_ERR_INTEGRITY, "encrypted name of %zu bytes", len);
	n = len - LT_NAME_ENC_MIN;
	rc = name_key(kdf, dek, object_id, key);
	if (rc == LETHE_OK)
		rc = lt_gcm_open(key, enc, object_id, LETHE_ID_LEN, enc + LT_GCM_NONCE_LEN, n,
				 enc + LT_GCM_NONCE_LEN + n, name);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(LETHE_ERR_INTEGRITY, "object %s: its encrypted name does not open",
			    object_id);
	if (rc == LETHE_OK && memchr(name, '\0', n)) {
		lt_cleanse(name, n);
		rc = lt_err(LETHE_ERR_INTEGRITY, "object %s: its name holds a NUL byte", object_id);
	}
	name[rc == LETHE_OK ? n : 0] = '\0';
	lt_cleanse(key, LT_KEY_LEN);
	return rc;
}

enum lethe_err lt_name_salt(const uint8_t commit_key[LT_KEY_LEN], const char *store_id,
			    const char *object_id, uint8_t salt[LT_SHA256_LEN])
{
	uint8_t msg[2 * LETHE_ID_LEN];

	if (!store_id || strlen(store_id) != LETHE_ID_LEN || !object_id ||
	    strlen(object_id) != LETHE_ID_LEN)
		return lt_err(LETHE_ERR_INVALID, "name salt: ids are not UUIDs");
	memcpy(msg, store_id, LETHE_ID_LEN);
	memcpy(msg + LETHE_ID_LEN, object_id, LETHE_ID_LEN);
	return lt_hmac_sha256(commit_key, LT_KEY_LEN, msg, sizeof(msg), salt);
}

enum lethe_err lt_name_commit(const uint8_t salt[LT_SHA256_LEN], const char *name,
			      uint8_t commit[LT_SHA256_LEN])
{
	return lt_hmac_sha256(salt, LT_SHA256_LEN, name ? name : "", name ? strlen(name) : 0,
			      commit);
}
