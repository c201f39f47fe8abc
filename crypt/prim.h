/* prim.h - the primitives crypt/ offers the rest of lethe; no OpenSSL type leaks out. */
#ifndef LT_CRYPT_PRIM_H
#define LT_CRYPT_PRIM_H

#include <stddef.h>
#include <stdint.h>

#include "common/sizes.h"
#include "include/lethe.h"

/* All return LETHE_OK, or LETHE_ERR_CRYPTO with OpenSSL's error queue in the detail, unless
 * said otherwise. */

/* Cryptographically secure random bytes (RAND_bytes). */
enum lethe_err lt_random(void *buf, size_t len);

/* AES-256-GCM, 12-byte nonce, 16-byte tag. pt/ct may alias. */
enum lethe_err lt_gcm_seal(const uint8_t key[LT_KEY_LEN], const uint8_t nonce[LT_GCM_NONCE_LEN],
			   const void *aad, size_t aad_len, const void *pt, size_t len, void *ct,
			   uint8_t tag[LT_GCM_TAG_LEN]);
/* LETHE_ERR_INTEGRITY when the tag does not verify; @p pt is then wiped. */
enum lethe_err lt_gcm_open(const uint8_t key[LT_KEY_LEN], const uint8_t nonce[LT_GCM_NONCE_LEN],
			   const void *aad, size_t aad_len, const void *ct, size_t len,
			   const uint8_t tag[LT_GCM_TAG_LEN], void *pt);

/*
 * Wrap a 32-byte key under @p kek with AES-256-GCM and a random nonce; @p aad names what is
 * wrapped so that a wrapped key moved elsewhere fails to unwrap.
 */
enum lethe_err lt_key_wrap(const uint8_t kek[LT_KEY_LEN], const void *aad, size_t aad_len,
			   const uint8_t key[LT_KEY_LEN], uint8_t wrapped[LT_WRAPPED_LEN]);
/* LETHE_ERR_INTEGRITY when the wrapped key or its AAD does not match. */
enum lethe_err lt_key_unwrap(const uint8_t kek[LT_KEY_LEN], const void *aad, size_t aad_len,
			     const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t key[LT_KEY_LEN]);

/*
 * An AES-256-GCM key expanded once (its schedule and GHASH tables), for wrapping or unwrapping
 * many keys under one KEK: each call restarts it with its own nonce. A rewrap wraps a
 * million keys; expanding the KEK for each cost more than the 32 bytes it seals. Not for use
 * by two threads at once. lt_gcm_key_free() wipes it.
 */
struct lt_gcm_key;
enum lethe_err lt_gcm_key_new(const uint8_t key[LT_KEY_LEN], struct lt_gcm_key **out);
void lt_gcm_key_free(struct lt_gcm_key *k);
/* lt_key_wrap() and lt_key_unwrap() under an expanded KEK: the same bytes, the same errors. */
enum lethe_err lt_key_wrap_with(struct lt_gcm_key *kek, const void *aad, size_t aad_len,
				const uint8_t key[LT_KEY_LEN], uint8_t wrapped[LT_WRAPPED_LEN]);
enum lethe_err lt_key_unwrap_with(struct lt_gcm_key *kek, const void *aad, size_t aad_len,
				  const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t key[LT_KEY_LEN]);

/* HKDF-SHA256 (RFC 5869), extract then expand. */
enum lethe_err lt_hkdf(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
		       const void *info, size_t info_len, void *out, size_t out_len);

/*
 * Set up what OpenSSL sets up on the first digest of a process (its default library context
 * and SHA-256 in it), best effort. OpenSSL 3.0 does not survive an allocation failing in the
 * middle of that setup (a lock left NULL): a caller whose digest may be the process's first
 * OpenSSL call (keys/luksdisk.c, before libcryptsetup has loaded anything) prepares it first,
 * so that a failure there is one lt_sha256() reports.
 */
void lt_sha256_prepare(void);

/*
 * HKDF-Expand-SHA256 (RFC 5869 2.3: no extract step, for a key that is already uniformly
 * random, such as a data key) for many derivations of one kind (the name key of every object
 * of a listing): the algorithm and its digest are set up once, each derivation passes only
 * its key and info. With out_len 32 it is HMAC-SHA256(ikm, info || 0x01).
 */
struct lt_hkdf;
enum lethe_err lt_hkdf_new(struct lt_hkdf **out);
enum lethe_err lt_hkdf_derive(struct lt_hkdf *h, const void *ikm, size_t ikm_len, const void *info,
			      size_t info_len, void *out, size_t out_len);
void lt_hkdf_free(struct lt_hkdf *h);

/* One-shot SHA-256 and HMAC-SHA256. */
enum lethe_err lt_sha256(const void *data, size_t len, uint8_t out[LT_SHA256_LEN]);
enum lethe_err lt_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
			      uint8_t out[LT_SHA256_LEN]);

/* Streaming SHA-256. */
struct lt_sha256;
enum lethe_err lt_sha256_new(struct lt_sha256 **out);
enum lethe_err lt_sha256_update(struct lt_sha256 *h, const void *data, size_t len);
enum lethe_err lt_sha256_final(struct lt_sha256 *h, uint8_t out[LT_SHA256_LEN]);
void lt_sha256_free(struct lt_sha256 *h);

/* Streaming HMAC-SHA256 (the audit chain MACs records field by field). */
struct lt_hmac;
enum lethe_err lt_hmac_new(const void *key, size_t key_len, struct lt_hmac **out);
enum lethe_err lt_hmac_update(struct lt_hmac *h, const void *data, size_t len);
enum lethe_err lt_hmac_final(struct lt_hmac *h, uint8_t out[LT_SHA256_LEN]);
/* Start a new MAC under the same key (many short MACs: row MACs). */
enum lethe_err lt_hmac_restart(struct lt_hmac *h);
void lt_hmac_free(struct lt_hmac *h);

/* Constant-time equality (CRYPTO_memcmp): 1 if equal. */
int lt_memeq(const void *a, const void *b, size_t len);

/* Ed25519 (evidence signing). priv is the 32-byte seed. */
enum lethe_err lt_ed25519_keygen(uint8_t priv[LT_ED25519_PRIV_LEN],
				 uint8_t pub[LT_ED25519_PUB_LEN]);
/*
 * The one way lethe signs: an Ed25519 private key set up from its seed once and kept ready
 * to sign many messages (certificates, chain.txt, audit checkpoints). Setting it up derives
 * the public half (a scalar multiplication, as costly as a signature), which a sweep signing
 * one certificate per object must not repeat. The key lives in OpenSSL's memory until
 * lt_ed25519_key_free(), which wipes it.
 */
struct lt_ed25519_key;
enum lethe_err lt_ed25519_key_new(const uint8_t priv[LT_ED25519_PRIV_LEN],
				  struct lt_ed25519_key **out);
enum lethe_err lt_ed25519_key_sign(struct lt_ed25519_key *key, const void *msg, size_t len,
				   uint8_t sig[LT_ED25519_SIG_LEN]);
void lt_ed25519_key_free(struct lt_ed25519_key *key);
/* The public half of @p key (derived when it was set up: no further cost). */
enum lethe_err lt_ed25519_key_pub(struct lt_ed25519_key *key, uint8_t pub[LT_ED25519_PUB_LEN]);
/* LETHE_ERR_INTEGRITY when the signature does not verify. */
enum lethe_err lt_ed25519_verify(const uint8_t pub[LT_ED25519_PUB_LEN], const void *msg, size_t len,
				 const uint8_t sig[LT_ED25519_SIG_LEN]);
/* Public key <-> PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----"), as openssl reads. */
enum lethe_err lt_ed25519_pub_to_pem(const uint8_t pub[LT_ED25519_PUB_LEN], char **pem);
/* LETHE_ERR_INVALID when @p pem is not an Ed25519 public key. */
enum lethe_err lt_ed25519_pub_from_pem(const char *pem, size_t len,
				       uint8_t pub[LT_ED25519_PUB_LEN]);

#endif
