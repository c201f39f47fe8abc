/* wrap.h - the key hierarchy below the master key: purpose keys, KEKs, DEKs, evidence key.
 *
 * Every wrap is AES-256-GCM with an AAD that names exactly what is wrapped (store id, key id,
 * version, object id, group), so a wrapped key copied to another row fails to unwrap.
 */
#ifndef LT_KEYS_WRAP_H
#define LT_KEYS_WRAP_H

#include <stdint.h>

#include "crypt/prim.h"
#include "include/lethe.h"

/* Keys derived from the master key with HKDF (salt = store id, info = label), one a purpose. */
enum lt_mk_purpose {
	LT_MK_KEK_WRAP = 0,      /* info "lethe/v1/kek-wrap" */
	LT_MK_AUDIT_MAC = 1,     /* info "lethe/v1/audit-mac" */
	LT_MK_EVIDENCE_WRAP = 2, /* info "lethe/v1/evidence-wrap" */
	LT_MK_ROW_MAC = 3,       /* info "lethe/v1/row-mac" */
	LT_MK_AUDIT_ANCHOR = 4,  /* info "lethe/v1/audit-anchor" (keys/anchor.h) */
	LT_MK_NAME_COMMIT = 5,   /* info "lethe/v1/name-commit" (keys/name.h) */
};

enum lethe_err lt_mk_derive(const uint8_t *mk, const char *store_id, enum lt_mk_purpose purpose,
			    uint8_t out[LT_KEY_LEN]);

/* Fresh random 256-bit key (KEK or DEK) into a caller's secure buffer. */
enum lethe_err lt_key_generate(uint8_t key[LT_KEY_LEN]);

/* KEK version @p version wrapped under the KEK-wrap key; AAD "lethe/v1/kek" store id, version. */
enum lethe_err lt_kek_wrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			   uint32_t version, const uint8_t kek[LT_KEY_LEN],
			   uint8_t wrapped[LT_WRAPPED_LEN]);
enum lethe_err lt_kek_unwrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			     uint32_t version, const uint8_t wrapped[LT_WRAPPED_LEN],
			     uint8_t kek[LT_KEY_LEN]);

/* DEK of object @p object_id in @p group under KEK @p kek_version;
 * AAD "lethe/v1/dek" store id, object id, group, KEK version. */
enum lethe_err lt_dek_wrap(const uint8_t kek[LT_KEY_LEN], const char *store_id,
			   const char *object_id, const char *group, uint32_t kek_version,
			   const uint8_t dek[LT_KEY_LEN], uint8_t wrapped[LT_WRAPPED_LEN]);
enum lethe_err lt_dek_unwrap(const uint8_t kek[LT_KEY_LEN], const char *store_id,
			     const char *object_id, const char *group, uint32_t kek_version,
			     const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t dek[LT_KEY_LEN]);

/*
 * Move the DEK of object @p object_id in @p group from KEK @p old_version to @p new_version,
 * and prove the new wrap before anyone stores it: it is unwrapped again, with the AAD its row
 * will carry, under @p check_kek (the new KEK obtained independently of @p new_kek, so that a
 * stale or wrong @p new_kek cannot pass), and must give back the same DEK (CRYPTO_memcmp).
 * LETHE_ERR_INTEGRITY when the old wrap does not unwrap or the proof fails; @p new_wrapped is
 * then wiped. @p scratch: LT_DEK_REWRAP_SCRATCH bytes of secure memory, wiped before returning.
 */
#define LT_DEK_REWRAP_SCRATCH ((size_t) 2 * LT_KEY_LEN)
enum lethe_err lt_dek_rewrap(const char *store_id, const char *object_id, const char *group,
			     const uint8_t old_kek[LT_KEY_LEN], uint32_t old_version,
			     const uint8_t old_wrapped[LT_WRAPPED_LEN],
			     const uint8_t new_kek[LT_KEY_LEN], const uint8_t check_kek[LT_KEY_LEN],
			     uint32_t new_version, uint8_t new_wrapped[LT_WRAPPED_LEN],
			     uint8_t scratch[LT_DEK_REWRAP_SCRATCH]);

/* lt_dek_rewrap() under KEKs expanded once for many keys (lt_gcm_key_new): what a rewrap
 * runs for each of its keys. */
enum lethe_err lt_dek_rewrap_with(const char *store_id, const char *object_id, const char *group,
				  struct lt_gcm_key *old_kek, uint32_t old_version,
				  const uint8_t old_wrapped[LT_WRAPPED_LEN],
				  struct lt_gcm_key *new_kek, struct lt_gcm_key *check_kek,
				  uint32_t new_version, uint8_t new_wrapped[LT_WRAPPED_LEN],
				  uint8_t scratch[LT_DEK_REWRAP_SCRATCH]);

/* The evidence signing key's 32-byte seed under the evidence-wrap key; AAD "lethe/v1/evidence". */
enum lethe_err lt_evkey_wrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			     const uint8_t seed[LT_ED25519_PRIV_LEN],
			     uint8_t wrapped[LT_WRAPPED_LEN]);
enum lethe_err lt_evkey_unwrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			       const uint8_t wrapped[LT_WRAPPED_LEN],
			       uint8_t seed[LT_ED25519_PRIV_LEN]);

/*
 * Keys derived from the officer authority secret (OAS, the volume key of officers.luks; see
 * keys/authority.h) with HKDF (salt = store id, info = label). The master key never enters
 * these derivations: the service keyfile opens MK, never the OAS, so it reaches none of them.
 */
enum lt_oas_purpose {
	LT_OAS_OFFICER_SIGN = 0, /* info "lethe/v1/officer-sign": the Ed25519 seed of the OAK */
	LT_OAS_MK_WRAP = 1,      /* info "lethe/v1/mk-wrap": wraps MK in officers.luks */
};

enum lethe_err lt_oas_derive(const uint8_t *oas, const char *store_id, enum lt_oas_purpose purpose,
			     uint8_t out[LT_KEY_LEN]);

/* The master key under the MK-wrap key; AAD "lethe/v1/mk" store id. */
enum lethe_err lt_mk_wrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			  const uint8_t mk[LT_MK_LEN], uint8_t wrapped[LT_WRAPPED_LEN]);
enum lethe_err lt_mk_unwrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			    const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t mk[LT_MK_LEN]);

#endif
