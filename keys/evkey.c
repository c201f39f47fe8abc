/* evkey.c - the evidence signing key: created, stored wrapped, loaded. */
#include "keys/evkey.h"

#include "common/err.h"
#include "crypt/prim.h"
#include "keys/wrap.h"

/* Where the metadata keeps the two halves. */
#define META_PUB     "evidence_pub"
#define META_WRAPPED "evidence_priv_wrapped"

enum lethe_err lt_evkey_create(struct lt_db *db, const char *store_id,
			       const uint8_t wrap_key[LT_KEY_LEN],
			       uint8_t seed[LT_ED25519_PRIV_LEN])
{
	uint8_t pub[LT_ED25519_PUB_LEN], wrapped[LT_WRAPPED_LEN];
	enum lethe_err rc;

	rc = lt_ed25519_keygen(seed, pub);
	if (rc == LETHE_OK)
		rc = lt_evkey_wrap(wrap_key, store_id, seed, wrapped);
	if (rc == LETHE_OK)
		rc = lt_db_meta_set(db, META_PUB, pub, sizeof(pub));
	if (rc == LETHE_OK)
		rc = lt_db_meta_set(db, META_WRAPPED, wrapped, sizeof(wrapped));
	return rc;
}

enum lethe_err lt_evkey_load(struct lt_db *db, const char *store_id,
			     const uint8_t wrap_key[LT_KEY_LEN], uint8_t seed[LT_ED25519_PRIV_LEN])
{
	uint8_t wrapped[LT_WRAPPED_LEN];
	size_t len = 0;
	enum lethe_err rc;

	rc = lt_db_meta_get(db, META_WRAPPED, wrapped, sizeof(wrapped), &len);
	if (rc == LETHE_OK && len != sizeof(wrapped))
		rc = LETHE_ERR_NOT_FOUND;
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_DATABASE, "the evidence signing key is missing from the "
						  "database");
	if (rc != LETHE_OK)
		return rc;
	rc = lt_evkey_unwrap(wrap_key, store_id, wrapped, seed);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY, "the evidence signing key does not unwrap");
	return rc;
}

enum lethe_err lt_evkey_pub(struct lt_db *db, uint8_t pub[LT_ED25519_PUB_LEN])
{
	size_t len = 0;
	enum lethe_err rc = lt_db_meta_get(db, META_PUB, pub, LT_ED25519_PUB_LEN, &len);

	if (rc == LETHE_OK && len != LT_ED25519_PUB_LEN)
		rc = LETHE_ERR_NOT_FOUND;
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_DATABASE, "the evidence public key is missing");
	return rc;
}

enum lethe_err lt_evkey_pub_check(struct lt_db *db, const uint8_t derived[LT_ED25519_PUB_LEN])
{
	uint8_t stored[LT_ED25519_PUB_LEN];
	enum lethe_err rc = lt_evkey_pub(db, stored);

	if (rc != LETHE_OK)
		return rc;
	if (!lt_memeq(stored, derived, LT_ED25519_PUB_LEN))
		return lt_err(
		    LETHE_ERR_INTEGRITY,
		    "meta.evidence_pub is not the public half of the store's evidence key "
		    "(the database was edited)");
	return LETHE_OK;
}
