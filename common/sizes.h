/* sizes.h - the sizes of keys, wrapped keys, hashes and signatures, defined once.
 *
 * They are part of lethe's formats (meta.db rows, the keystore's tokens and keyslots, LTH1
 * headers, certificates, docs/KEYS.md and docs/FORMAT.md), so each module takes them from
 * here rather than writing its own 32 or 60, and the asserts below stop a change to one from
 * silently changing a format.
 */
#ifndef LT_COMMON_SIZES_H
#define LT_COMMON_SIZES_H

/* Every symmetric key: KEKs, DEKs, the keys derived from the master key (AES-256, HMAC). */
#define LT_KEY_LEN 32
/* The master key: the LUKS2 volume key of the keystore. */
#define LT_MK_LEN 32
/* The service keyfile's random bytes (the passphrase of the service keyslot). */
#define LT_SERVICE_KEY_LEN 32

#define LT_GCM_NONCE_LEN 12
#define LT_GCM_TAG_LEN   16
/* A wrapped key: random nonce (12) || ciphertext (32) || tag (16). A literal, because
 * store/ writes it into the schema's CHECK constraint as text. */
#define LT_WRAPPED_LEN 60

#define LT_SHA256_LEN       32
#define LT_ED25519_PUB_LEN  32
#define LT_ED25519_PRIV_LEN 32 /* the seed (RFC 8032) */
#define LT_ED25519_SIG_LEN  64

_Static_assert(LT_KEY_LEN == 32 && LT_MK_LEN == 32 && LT_SERVICE_KEY_LEN == 32,
	       "keys are 256 bits (AES-256, the LUKS2 volume key, the keyfile)");
_Static_assert(LT_WRAPPED_LEN == LT_GCM_NONCE_LEN + LT_KEY_LEN + LT_GCM_TAG_LEN,
	       "a wrapped key is nonce || ciphertext || tag");
_Static_assert(LT_GCM_NONCE_LEN == 12 && LT_GCM_TAG_LEN == 16,
	       "AES-GCM with a 96-bit nonce and a 128-bit tag");
_Static_assert(LT_SHA256_LEN == 32, "SHA-256");
_Static_assert(LT_ED25519_PUB_LEN == 32 && LT_ED25519_PRIV_LEN == 32 && LT_ED25519_SIG_LEN == 64,
	       "Ed25519 (RFC 8032)");

#endif
