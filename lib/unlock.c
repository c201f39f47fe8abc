/* unlock.c - the unlock of an open: by the service keyfile (keystore.luks) or by an officer's
 * passphrase (officers.luks, or the officer keyslots of a store from before it), then the keys
 * derived from the master key. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "crypt/secmem.h"
#include "keys/authority.h"
#include "keys/keyfile.h"
#include "keys/keystore.h"
#include "keys/rowauth.h"
#include "lib/internal.h"
#include "store/db.h"

/*
 * An officer passphrase: officers.luks when the store has one (the roster's keyslots only),
 * giving the OAS and MK; otherwise a store from before it, whose officers are keyslots of
 * keystore.luks (*@p legacy: migrated once the database is open). The MK must open
 * keystore.luks: an officers.luks around another store's MK is refused.
 */
static enum lethe_err open_officer(struct lethe_store *st, const struct lethe_open_opts *o,
				   const char *officer, uint8_t *mk,
				   char store_id[LETHE_ID_LEN + 1], bool *legacy)
{
	enum lethe_err rc;
	struct stat sb;

	*legacy = false;
	if (lstat(st->officers_path, &sb) != 0 && errno == ENOENT) {
		uint8_t pinned[LT_ED25519_PUB_LEN];
		size_t len = 0;

		/* a store that has officers.luks never goes back to officer keyslots in
		 * keystore.luks, which anyone holding the service keyfile can add */
		if (lt_db_meta_get(st->db, LT_AUTHORITY_META_PUB, pinned, sizeof(pinned), &len) !=
		    LETHE_ERR_NOT_FOUND)
			return lt_err(
			    LETHE_ERR_INTEGRITY,
			    "%s is missing, but meta.db pins an "
			    "officer authority: restore it from a backup (officer keyslots "
			    "of keystore.luks are not honoured any more)",
			    st->officers_path);
		*legacy = true;
		rc = lt_keystore_unlock_passphrase(st->keystore_path, o->passphrase,
						   o->passphrase_len, mk, &st->who, store_id);
		/* the old layout tries every officer keyslot; a named officer must be the one */
		if (rc == LETHE_OK && officer && strcmp(officer, st->who.name) != 0) {
			lt_cleanse(mk, LT_MK_LEN);
			rc = lt_err(LETHE_ERR_UNLOCK, "the passphrase is not officer \"%s\"'s",
				    officer);
		}
		return rc;
	}
	rc = lt_keystore_id(st->keystore_path, store_id);
	if (rc == LETHE_OK)
		rc = lt_authority_unlock(st->officers_path, store_id, officer, o->passphrase,
					 o->passphrase_len, st->keys->oas, mk, &st->who,
					 st->authority_pub, &st->roster);
	if (rc == LETHE_OK)
		rc = lt_keystore_mk_check(st->keystore_path, mk);
	st->authority_ready = rc == LETHE_OK;
	return rc;
}

enum lethe_err lt_store_unlock(struct lethe_store *st, const struct lethe_open_opts *o,
			       const char *officer, bool *legacy)
{
	uint8_t *secret = lt_secmem_alloc(LT_SERVICE_KEY_LEN);
	uint8_t *mk = lt_secmem_alloc(LT_MK_LEN);
	char store_id[LETHE_ID_LEN + 1] = "";
	enum lethe_err rc = LETHE_ERR_NOMEM;

	if (!secret || !mk)
		goto out;
	*legacy = false;
	if (o->passphrase) {
		rc = open_officer(st, o, officer, mk, store_id, legacy);
	} else {
		if (!st->cfg.keyfile) {
			rc = lt_err(LETHE_ERR_CONFIG, "%s/lethe.conf: [keys] keyfile is not set",
				    st->dir);
			goto out;
		}
		rc = lt_keyfile_read(st->cfg.keyfile, secret);
		if (rc == LETHE_ERR_NOT_FOUND)
			rc = lt_err(LETHE_ERR_UNLOCK, "%s: keyfile not found", st->cfg.keyfile);
		if (rc == LETHE_OK)
			rc = lt_keystore_unlock_service(st->keystore_path, secret, mk, &st->who,
							store_id);
	}
	if (rc != LETHE_OK)
		goto out;
	lt_strlcpy(st->store_id, store_id, sizeof(st->store_id));
	lt_strlcpy(st->actor.keyslot, st->who.name, sizeof(st->actor.keyslot));
	st->officer = st->who.role == LT_SLOT_OFFICER;
	rc = lt_store_derive_keys(st, mk);
	if (rc == LETHE_OK)
		lt_row_auth_attach(st->row_auth, st->db);
	if (rc == LETHE_OK && st->officer)
		memcpy(st->keys->mk, mk, LT_MK_LEN);
out:
	lt_secmem_free(secret, LT_SERVICE_KEY_LEN);
	lt_secmem_free(mk, LT_MK_LEN);
	return rc;
}
