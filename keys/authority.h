/* authority.h - officer authority: DIR/officers.luks, a second LUKS2 header that only officer
 * passphrases open, whose volume key is the officer authority secret (OAS).
 *
 * The service keyfile opens keystore.luks and so the master key MK; it never opens the OAS.
 * From the OAS (keys/wrap.h, lt_oas_derive): the officer authority key (OAK, Ed25519), which
 * signs the roster of officers and every record of an officer's actions, and the key that
 * wraps MK in officers.luks, so an officer's passphrase yields MK and OAK at once. Holding MK
 * (the service) is therefore not enough to add an officer, rename one, or sign as one.
 *
 * officers.luks keeps one Argon2id keyslot per officer and one token of type
 * "lethe-authority" (docs/KEYS.md section 3b): the roster (keyslot and name of each officer,
 * a serial, the store id), the OAK public key, the wrapped MK, and the OAK signature over the
 * roster. A keyslot the signed roster does not name is never tried; a name is whatever the
 * signed roster says, never a token's word alone.
 */
#ifndef LT_KEYS_AUTHORITY_H
#define LT_KEYS_AUTHORITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sizes.h"
#include "crypt/prim.h"
#include "include/lethe.h"
#include "keys/keystore.h"

#define LT_AUTHORITY_FILE     "officers.luks"
#define LT_AUTHORITY_OFFICERS 16 /* keyslots of officers.luks */
/* Where meta.db pins the OAK public key (32 raw bytes), since init or the migration. */
#define LT_AUTHORITY_META_PUB "officer_pub"

/* The roster as read from officers.luks, its signature checked against @p pub. */
struct lt_authority {
	char store_id[LETHE_ID_LEN + 1];
	uint32_t serial; /* raised by every change of the roster */
	size_t count;
	struct lt_slot_info officer[LT_AUTHORITY_OFFICERS]; /* in keyslot order, role officer */
	uint8_t pub[LT_ED25519_PUB_LEN];                    /* the OAK public key */
	uint8_t mk_wrapped[LT_WRAPPED_LEN];
};

/*
 * Create @p path (0600, O_EXCL) around a fresh random OAS with keyslot 0 for officer @p name,
 * the roster signed and @p mk wrapped. @p oas (LT_KEY_LEN, caller's secure buffer) and @p pub
 * receive the OAS and the OAK public key. Nothing stays behind on failure.
 * @return LETHE_OK; LETHE_ERR_INVALID; LETHE_ERR_EXISTS; LETHE_ERR_KEYSTORE; LETHE_ERR_IO;
 *         LETHE_ERR_NOMEM.
 */
enum lethe_err lt_authority_create(const char *path, const char *store_id, const uint8_t *mk,
				   const char *name, const char *passphrase, size_t pass_len,
				   const struct lt_kdf_params *kdf, uint8_t *oas,
				   uint8_t pub[LT_ED25519_PUB_LEN]);

/*
 * Read the roster without a key and check it: the store id must be @p store_id and the
 * signature must verify under the public key it names (which the caller compares with the
 * one it pinned). LETHE_ERR_KEYSTORE (missing, not LUKS2, malformed); LETHE_ERR_INTEGRITY
 * (signature, store id, a named keyslot that is not active).
 */
enum lethe_err lt_authority_read(const char *path, const char *store_id, struct lt_authority *a);

/*
 * Unlock with an officer passphrase: only the keyslots the signed roster names, one by one,
 * or only officer @p name's when @p name is not NULL (a single Argon2id run). On success
 * @p oas and @p mk (caller's secure buffers) hold the OAS and the master key, @p who the
 * officer as the roster names them, @p pub the OAK public key; the OAK derived from the OAS
 * must be the one that signed the roster. @p roster (when not NULL) receives the roster the
 * unlock went by, which the caller holds to the audit log (its serial).
 * @return LETHE_OK; LETHE_ERR_UNLOCK (opens no officer keyslot; no such officer);
 *         LETHE_ERR_INTEGRITY (roster or wrapped MK tampered, another store's);
 *         LETHE_ERR_KEYSTORE; LETHE_ERR_PERMISSION.
 */
enum lethe_err lt_authority_unlock(const char *path, const char *store_id, const char *name,
				   const char *passphrase, size_t pass_len, uint8_t *oas,
				   uint8_t *mk, struct lt_slot_info *who,
				   uint8_t pub[LT_ED25519_PUB_LEN], struct lt_authority *roster);

/* Add officer @p name (a keyslot, then the roster re-signed); *@p keyslot and *@p serial
 * (each when not NULL) receive their keyslot and the new roster's serial, which the audit
 * record of the change states. LETHE_ERR_EXISTS; LETHE_ERR_INVALID; LETHE_ERR_KEYSTORE (no
 * free keyslot, @p oas not this file's). */
enum lethe_err lt_authority_officer_add(const char *path, const char *store_id, const uint8_t *oas,
					const char *name, const char *passphrase, size_t pass_len,
					const struct lt_kdf_params *kdf, int *keyslot,
					uint32_t *serial);

/* Remove officer @p name (the roster re-signed, then the keyslot destroyed); *@p keyslot and
 * *@p serial as for lt_authority_officer_add(). LETHE_ERR_NOT_FOUND; LETHE_ERR_LAST_OFFICER. */
enum lethe_err lt_authority_officer_remove(const char *path, const char *store_id,
					   const uint8_t *oas, const char *name, int *keyslot,
					   uint32_t *serial);

/*
 * Change officer @p name's passphrase: a new keyslot for @p passphrase, the roster re-signed
 * naming it instead of the old one, then the old keyslot destroyed (a crash leaves one of the
 * two named and the other unrostered, never neither). *@p keyslot (when not NULL) receives
 * the new keyslot once the roster names it. LETHE_ERR_NOT_FOUND; LETHE_ERR_INVALID;
 * LETHE_ERR_KEYSTORE (no free keyslot, @p oas not this file's).
 */
enum lethe_err lt_authority_officer_passwd(const char *path, const char *store_id,
					   const uint8_t *oas, const char *name,
					   const char *passphrase, size_t pass_len,
					   const struct lt_kdf_params *kdf, int *keyslot);

/* The OAK, ready to sign (lt_ed25519_key_free() it). */
enum lethe_err lt_authority_signer(const uint8_t *oas, const char *store_id,
				   struct lt_ed25519_key **out);

/*
 * Active keyslots of officers.luks that the signed roster does not name (*@p count): a crash
 * inside `officer add` or `officer remove` leaves one. They are never tried. With @p repair
 * they are destroyed (*@p count then says how many were).
 */
enum lethe_err lt_authority_unrostered(const char *path, const char *store_id, bool repair,
				       size_t *count);

/* The fingerprint of an OAK public key: SHA-256 of its 32 raw bytes, 64 hex digits. */
enum lethe_err lt_authority_fingerprint(const uint8_t pub[LT_ED25519_PUB_LEN], char hex[65]);

#endif
