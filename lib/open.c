/* open.c - opening a store: ownership of its paths, the configuration, meta.db (read-only
 * when it cannot be written), the unlock by keyfile or officer passphrase, then the checks and
 * the recovery every open runs. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/config.h"
#include "common/err.h"
#include "common/fault.h"
#include "common/fsutil.h"
#include "crypt/secmem.h"
#include "keys/authority.h"
#include "keys/keyfile.h"
#include "keys/keystore.h"
#include "keys/rowauth.h"
#include "lib/internal.h"
#include "retention/group.h"
#include "store/db.h"

/*
 * An officer passphrase: officers.luks when the store has one (the roster's keyslots only),
 * giving the OAS and MK; otherwise a store from before it, whose officers are keyslots of
 * keystore.luks (*@p legacy: migrated once the database is open). The MK must open
 * keystore.luks: an officers.luks around another store's MK is refused.
 */
static enum lethe_err open_officer(struct lethe_store *st, const struct lethe_open_opts *o,
				   uint8_t *mk, char store_id[LETHE_ID_LEN + 1], bool *legacy)
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
		return lt_keystore_unlock_passphrase(st->keystore_path, o->passphrase,
						     o->passphrase_len, mk, &st->who, store_id);
	}
	rc = lt_keystore_id(st->keystore_path, store_id);
	if (rc == LETHE_OK)
		rc = lt_authority_unlock(st->officers_path, store_id, NULL, o->passphrase,
					 o->passphrase_len, st->keys->oas, mk, &st->who,
					 st->authority_pub);
	if (rc == LETHE_OK)
		rc = lt_keystore_mk_check(st->keystore_path, mk);
	st->authority_ready = rc == LETHE_OK;
	return rc;
}

static enum lethe_err open_unlock(struct lethe_store *st, const struct lethe_open_opts *o,
				  bool *legacy)
{
	uint8_t *secret = lt_secmem_alloc(LT_SERVICE_KEY_LEN);
	uint8_t *mk = lt_secmem_alloc(LT_MK_LEN);
	char store_id[LETHE_ID_LEN + 1] = "";
	enum lethe_err rc = LETHE_ERR_NOMEM;

	if (!secret || !mk)
		goto out;
	*legacy = false;
	if (o->passphrase) {
		rc = open_officer(st, o, mk, store_id, legacy);
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

/*
 * Whether the store can be written at all, asked before anything tries: a snapshot or a
 * read-only mount says EROFS, a copy without write permission EACCES (root passes the mode
 * bits, and writes). The directory counts too: SQLite creates meta.db-wal and -shm there.
 */
static const char *store_read_only(const struct lethe_store *st)
{
	if (access(st->dir, W_OK) == 0 && access(st->db_path, W_OK) == 0)
		return NULL;
	if (errno == EROFS)
		return "read-only file system";
	if (errno == EACCES || errno == EPERM)
		return "no write permission";
	return NULL; /* the open says what else is wrong */
}

/*
 * Open meta.db for writing, or read-only when the store cannot be written: then, or when the
 * disk turns out to be full (SQLite cannot even grow its wal-index), the handle reads and
 * refuses every write, saying why.
 */
static enum lethe_err open_db(struct lethe_store *st)
{
	enum lethe_err rc;

	st->read_only = store_read_only(st);
	st->read_only_err = LETHE_ERR_IO;
	if (!st->read_only) {
		rc = lt_db_open(st->db_path, false, &st->db);
		if (rc != LETHE_ERR_NOSPC)
			return rc;
		st->read_only = "the disk is full";
		st->read_only_err = LETHE_ERR_NOSPC;
		lt_err_clear();
	}
	return lt_db_open_read_only(st->db_path, &st->db);
}

/* The keystore and the database must belong to the same store. */
static enum lethe_err open_check_store_id(struct lethe_store *st)
{
	char id[LETHE_ID_LEN + 1];
	size_t len = 0;
	enum lethe_err rc;

	rc = lt_db_meta_get(st->db, "store_id", id, LETHE_ID_LEN, &len);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_DATABASE, "%s: no store id: not a lethe database",
			      st->db_path);
	if (rc != LETHE_OK)
		return rc;
	id[len < LETHE_ID_LEN ? len : LETHE_ID_LEN] = '\0';
	if (strcmp(id, st->store_id) != 0)
		return lt_err(LETHE_ERR_KEYSTORE, "%s belongs to another store than %s",
			      st->keystore_path, st->db_path);
	return LETHE_OK;
}

/*
 * The handle's configuration: the store's own @p conf, or @p other (--config) with every
 * security setting taken from @p conf (common/config.h says which; one that @p other sets
 * differently is refused).
 */
static enum lethe_err open_config(struct lethe_store *st, const char *conf, const char *other)
{
	struct lt_config own;
	enum lethe_err rc;

	if (!other) {
		rc = lt_config_load(conf, &st->cfg);
		if (rc == LETHE_OK)
			rc = lt_group_sections_check(&st->cfg, conf);
		return rc;
	}
	rc = lt_config_load(other, &st->cfg);
	if (rc == LETHE_OK)
		rc = lt_group_sections_check(&st->cfg, other);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_config_load(conf, &own);
	if (rc == LETHE_OK)
		rc = lt_group_sections_check(&own, conf);
	if (rc == LETHE_OK)
		rc = lt_config_take_security(&st->cfg, other, &own, conf);
	lt_config_free(&own);
	return rc;
}

LETHE_API enum lethe_err lethe_store_open(const struct lethe_open_opts *o, struct lethe_store **out)
{
	struct lethe_store *st = NULL;
	char *conf = NULL;
	bool legacy = false;
	enum lethe_err rc;

	lt_err_clear();
	if (out)
		*out = NULL;
	if (!o || !o->dir || !*o->dir || !out)
		return lt_err(LETHE_ERR_INVALID, "no store directory given (--store or "
						 "LETHE_STORE)");
	st = lt_store_alloc(o->dir);
	if (!st)
		return LETHE_ERR_NOMEM;
	conf = lt_path_join(o->dir, "lethe.conf");
	if (!conf) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	if (access(o->dir, F_OK) != 0) {
		rc = lt_err_errno(LETHE_ERR_CONFIG, errno, "%s: no store", o->dir);
		goto out;
	}
	/* before a setting is believed: nobody but the store's owner may have written them */
	rc = lt_store_check_owned(st->dir, conf, NULL, NULL);
	if (rc == LETHE_OK) {
		rc = open_config(st, conf, o->config);
		if (rc != LETHE_OK)
			goto out;
		rc = lt_check_private_file(st->keystore_path);
	}
	if (rc == LETHE_ERR_NOT_FOUND)
		rc = lt_err(LETHE_ERR_KEYSTORE, "%s: keystore missing", st->keystore_path);
	if (rc != LETHE_OK) {
		struct lt_err_saved saved;

		/* audit what we can: the database may still be ours to write; the user must
		 * still see why the store was refused, not what recording it ran into (the
		 * settings are the defaults, syslog on, when lethe.conf itself was refused) */
		lt_err_save(&saved);
		if (open_db(st) == LETHE_OK)
			lt_audit_record_unkeyed(st->db, &st->cfg, "open", NULL, rc, saved.text);
		rc = lt_err_restore(&saved, rc);
		goto out;
	}
	rc = open_db(st);
	if (rc != LETHE_OK)
		goto out;
	rc = open_unlock(st, o, &legacy);
	if (rc != LETHE_OK) {
		lt_audit_record_unkeyed(st->db, &st->cfg, "unlock",
					o->passphrase ? "officer" : "service", rc, lt_err_detail());
		goto out;
	}
	rc = lt_store_seal(st);
	if (rc != LETHE_OK && rc != LETHE_ERR_INTEGRITY)
		goto out;
	/* a store whose digests were removed stays open for doctor to say so; every read of
	 * its rows fails its check */
	if (rc == LETHE_ERR_INTEGRITY)
		lt_err_clear();
	rc = open_check_store_id(st);
	/* a modified meta row: every check that reads it fails too, and doctor reports it */
	if (rc == LETHE_ERR_INTEGRITY) {
		lt_err_clear();
		rc = LETHE_OK;
	}
	if (rc == LETHE_OK && st->officer) {
		rc = lt_authority_open(st, legacy, o->passphrase, o->passphrase_len);
		if (rc != LETHE_OK)
			lt_audit_record_unkeyed(st->db, &st->cfg, "unlock", "officer", rc,
						lt_err_detail());
	}
	/* a read-only handle leaves pending records, staged files and unlinks to a writable one */
	if (rc == LETHE_OK && !st->read_only && lt_audit_fold_pending(st) != LETHE_OK) {
		/* One pending record that cannot be folded (a malformed row: anyone who can write
		 * meta.db can add one) must not keep every command out of the store; it stays
		 * where `audit verify` and doctor see it, and syslog hears of it now. */
		lt_audit_report_unwritten("audit.fold", lt_err_detail());
		lt_err_clear();
	}
	/* an edit of lethe.conf's security settings is recorded, never silent; a meta row that
	 * fails its check is doctor's to report */
	if (rc == LETHE_OK && !st->read_only) {
		rc = lt_secconf_open(st);
		if (rc == LETHE_ERR_INTEGRITY) {
			lt_err_clear();
			rc = LETHE_OK;
		}
	}
	if (rc == LETHE_OK && !st->read_only)
		lt_recover_cheap(st);
	if (rc == LETHE_OK)
		rc = lt_clock_check_open(st);
out:
	free(conf);
	if (rc != LETHE_OK) {
		lethe_store_close(st);
		return rc;
	}
	LT_FAULT("store.opened"); /* where LETHE_FAULT_SIM=KIND:N@store.opened starts counting */
	*out = st;
	return LETHE_OK;
}
