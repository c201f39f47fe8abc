/* keystore.h - the LUKS2 keystore holding the master key, with named keyslots (libcryptsetup). */
#ifndef LT_KEYS_KEYSTORE_H
#define LT_KEYS_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/sizes.h"
#include "include/lethe.h"

enum lt_slot_role {
	LT_SLOT_SERVICE = 0, /* the service keyfile */
	LT_SLOT_OFFICER = 1,
};

/* A keyslot and who it belongs to (kept in a LUKS2 token of type "lethe-slot"). */
struct lt_slot_info {
	int keyslot;
	enum lt_slot_role role;
	char name[LETHE_OFFICER_MAX + 1]; /* "service" for the service slot */
};

/* Argon2id cost of officer keyslots. */
struct lt_kdf_params {
	uint32_t memory_kib;
	uint32_t time_cost;
	uint32_t parallel;
};

/*
 * Create the LUKS2 header file @p path (0600, O_EXCL; no data device, no device-mapper) around
 * a fresh random master key, with keyslot 0 for the LT_SERVICE_KEY_LEN-byte @p service_key (PBKDF2 with the
 * minimum cost: the key has full entropy) and, unless @p officer is NULL (what lethe init does
 * since officers live in officers.luks, keys/authority.h), keyslot 1 for officer @p officer
 * (Argon2id with @p kdf). @p mk receives the master key (LT_MK_LEN bytes, caller's secure buffer) and
 * @p store_id the header's UUID.
 * @return LETHE_OK; LETHE_ERR_INVALID (officer name); LETHE_ERR_EXISTS; LETHE_ERR_KEYSTORE;
 *         LETHE_ERR_IO; LETHE_ERR_NOMEM.
 */
enum lethe_err lt_keystore_create(const char *path, const uint8_t service_key[LT_SERVICE_KEY_LEN],
				  const char *officer, const char *passphrase, size_t pass_len,
				  const struct lt_kdf_params *kdf, uint8_t *mk,
				  char store_id[LETHE_ID_LEN + 1]);

/*
 * Unlock with the service key (tries only the service slot: fast). @p who receives the slot.
 * @return LETHE_OK; LETHE_ERR_UNLOCK (wrong key); LETHE_ERR_KEYSTORE (missing, not LUKS2,
 *         corrupt); LETHE_ERR_PERMISSION (not 0600/ours).
 */
enum lethe_err lt_keystore_unlock_service(const char *path,
					  const uint8_t service_key[LT_SERVICE_KEY_LEN],
					  uint8_t *mk, struct lt_slot_info *who,
					  char store_id[LETHE_ID_LEN + 1]);

/* Unlock with an officer passphrase (tries the officer slots). Errors as above. */
enum lethe_err lt_keystore_unlock_passphrase(const char *path, const char *passphrase,
					     size_t pass_len, uint8_t *mk, struct lt_slot_info *who,
					     char store_id[LETHE_ID_LEN + 1]);

/* Add officer @p name (LETHE_ERR_EXISTS if taken; LETHE_ERR_INVALID for a bad name or an
 * empty passphrase; LETHE_ERR_KEYSTORE when all 16 keyslots are used or @p mk is not this
 * keystore's). */
enum lethe_err lt_keystore_officer_add(const char *path, const uint8_t *mk, const char *name,
				       const char *passphrase, size_t pass_len,
				       const struct lt_kdf_params *kdf);

/* Destroy officer @p name's keyslot (LETHE_ERR_NOT_FOUND; LETHE_ERR_LAST_OFFICER;
 * LETHE_ERR_INVALID for "service", which is never removed). */
enum lethe_err lt_keystore_officer_remove(const char *path, const char *name);

/* The named keyslots, in keyslot order (the service first). At most @p max are written;
 * @p count receives how many; LETHE_ERR_INVALID when the keystore has more than @p max. */
enum lethe_err lt_keystore_slots(const char *path, struct lt_slot_info *slots, size_t max,
				 size_t *count);

/*
 * How many active keyslots have no lethe name. A crash between adding an officer's keyslot
 * and naming it leaves one: it opens the master key but no actor lethe knows (lethe never
 * tries it). lethe doctor reports them; lt_keystore_repair() destroys them.
 */
enum lethe_err lt_keystore_unnamed(const char *path, size_t *count);

/*
 * Destroy every unnamed keyslot and drop names left without a keyslot (a crash during
 * officer removal). @p destroyed receives the number of keyslots destroyed.
 */
enum lethe_err lt_keystore_repair(const char *path, size_t *destroyed);

/* The store id: the header's UUID, read without a key (the salt of every derivation). */
enum lethe_err lt_keystore_id(const char *path, char store_id[LETHE_ID_LEN + 1]);

/* LETHE_ERR_INTEGRITY unless @p mk is this keystore's master key. */
enum lethe_err lt_keystore_mk_check(const char *path, const uint8_t *mk);

/*
 * Since officers.luks holds the officers, keystore.luks holds the service keyslot (0) alone:
 * anything else there was added by someone holding the master key or the service keyfile
 * (cryptsetup luksAddKey, token import) or is left from before the migration. lethe never
 * tries it; doctor reports it; lt_keystore_purge() destroys it.
 */
struct lt_keystore_foreign {
	size_t keyslots; /* active keyslots other than 0 */
	int keyslot[32];
	size_t tokens; /* lethe-slot tokens other than the service's */
	int token[32];
	int service_token;                      /* -1 when none */
	char first_name[LETHE_OFFICER_MAX + 1]; /* the name the first foreign token claims */
};
enum lethe_err lt_keystore_foreign(const char *path, struct lt_keystore_foreign *f);

/* Destroy every foreign keyslot and lethe-slot token (@p destroyed: keyslots destroyed). */
enum lethe_err lt_keystore_purge(const char *path, size_t *destroyed);

/* Destroy officer @p name's keyslot and name in keystore.luks (absent is fine): once the
 * officer is in officers.luks, or at the migration. Unlike lt_keystore_officer_remove() it may
 * remove the last one. */
enum lethe_err lt_keystore_legacy_drop(const char *path, const char *name);

/* A valid officer name: [A-Za-z0-9._-], 1..LETHE_OFFICER_MAX bytes, not "service". */
int lt_officer_name_valid(const char *name);

/*
 * KEK versions live in the keystore, not in meta.db: one LUKS2 token of type "lethe-keks"
 * maps each active version to its wrapped key (wrapped under a key derived from the master
 * key; see keys/wrap.h). The database keeps only their metadata. Retiring a version removes it
 * here, so a copy of meta.db taken before the retirement (a backup, a snapshot, freed pages)
 * holds DEKs that nothing can unwrap any more: that is what closes the shredding horizon. A
 * copy of keystore.luks keeps the versions it held; see docs/OPERATIONS.md on backups.
 */
#define LT_KEYSTORE_KEKS_MAX 16

struct lt_keystore_kek {
	uint32_t version;
	uint8_t wrapped[LT_WRAPPED_LEN];
};

/* Add (or replace) version @p version. LETHE_ERR_KEK_IN_USE (a refusal) when
 * LT_KEYSTORE_KEKS_MAX versions are active already: retire old ones first. Durable (fsynced)
 * when it returns. */
enum lethe_err lt_keystore_kek_put(const char *path, uint32_t version,
				   const uint8_t wrapped[LT_WRAPPED_LEN]);

/* Remove version @p version (absent is fine); the JSON area is rewritten, so its bytes go.
 * Durable when it returns. */
enum lethe_err lt_keystore_kek_remove(const char *path, uint32_t version);

/* The active versions (at most @p max), in version order; *count receives how many. */
enum lethe_err lt_keystore_keks(const char *path, struct lt_keystore_kek *keks, size_t max,
				size_t *count);

/*
 * Tokens of other lethe types (the audit anchor, keys/anchor.h), one per type: the JSON of the
 * first active token of type @p type into *@p json (malloc'd; NULL when there is none).
 */
enum lethe_err lt_keystore_token_read(const char *path, const char *type, char **json);

/*
 * Replace the token of type @p type under the keystore's lock: @p update sees its current
 * JSON (NULL when none) and sets *@p replacement to a malloc'd new JSON (the token is then
 * written, durably) or leaves it NULL (nothing is written). Returns what @p update returns,
 * or the write's error.
 */
typedef enum lethe_err (*lt_keystore_token_fn)(const char *current, char **replacement, void *ctx);
enum lethe_err lt_keystore_token_update(const char *path, const char *type,
					lt_keystore_token_fn update, void *ctx);

#endif
