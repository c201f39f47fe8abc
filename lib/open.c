/* open.c - opening a store: ownership of its paths, the configuration, meta.db (read-only
 * when it cannot be written), the unlock by keyfile or officer passphrase, then the checks and
 * the recovery every open runs. */
#include <ctype.h>
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
#include "keys/luksdisk.h"
#include "keys/rowauth.h"
#include "lib/internal.h"
#include "retention/group.h"
#include "store/db.h"

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

/*
 * Both LUKS2 headers of keystore.luks and officers.luks, before libcryptsetup loads them: it
 * falls back to the intact header and rewrites the damaged one from it without a word, so what
 * was damaged is kept here for doctor to report (lt_luks_headers_check()). The open goes on:
 * the service keeps running on the intact header.
 */
static void open_check_headers(struct lethe_store *st)
{
	struct stat sb;

	/* a check that could not be made (out of memory, a read error) is no finding */
	if (lt_luks_headers_check(st->keystore_path) == LETHE_ERR_INTEGRITY)
		lt_err_save(&st->keystore_damage);
	if (!(lstat(st->officers_path, &sb) != 0 && errno == ENOENT) &&
	    lt_luks_headers_check(st->officers_path) == LETHE_ERR_INTEGRITY)
		lt_err_save(&st->officers_damage);
	lt_err_clear();
}

/* The keystore and the database must belong to the same store: *@p mismatch when they do
 * not (LETHE_ERR_INTEGRITY: one of the files was replaced). */
static enum lethe_err open_check_store_id(struct lethe_store *st, bool *mismatch)
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
	*mismatch = strcmp(id, st->store_id) != 0;
	if (*mismatch)
		return lt_err(LETHE_ERR_INTEGRITY, "%s belongs to another store than %s",
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

/* lethe_store_open(), trying only the keyslot of @p officer when not NULL. */
static enum lethe_err store_open(const struct lethe_open_opts *o, const char *officer,
				 struct lethe_store **out)
{
	struct lethe_store *st = NULL;
	char *conf = NULL;
	bool legacy = false, mismatch = false;
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
	if (rc == LETHE_OK)
		open_check_headers(st);
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
	rc = lt_store_unlock(st, o, officer, &legacy);
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
	rc = open_check_store_id(st, &mismatch);
	/* a modified meta row: every check that reads it fails too, and doctor reports it */
	if (rc == LETHE_ERR_INTEGRITY && !mismatch) {
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
	/* names a store from before schema 3 kept in clear are encrypted now; a store whose
	 * rows fail their checks stays open for doctor to say why, as above */
	if (rc == LETHE_OK) {
		rc = lt_names_convert(st);
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
	if (rc == LETHE_ERR_PERMISSION)
		rc = lt_store_owner_fix(st, rc);
	if (rc != LETHE_OK) {
		lethe_store_close(st);
		return rc;
	}
	LT_FAULT("store.opened"); /* where LETHE_FAULT_SIM=KIND:N@store.opened starts counting */
	*out = st;
	return LETHE_OK;
}

LETHE_API enum lethe_err lethe_store_open(const struct lethe_open_opts *o, struct lethe_store **out)
{
	return store_open(o, NULL, out);
}

LETHE_API enum lethe_err lethe_store_open_officer(const struct lethe_open_opts *o,
						  const char *officer, struct lethe_store **out)
{
	lt_err_clear();
	if (out)
		*out = NULL;
	if (!officer || !lt_officer_name_valid(officer))
		return lt_err(LETHE_ERR_INVALID,
			      "officer name must be 1-%d characters of A-Z a-z 0-9 . _ - (and not "
			      "\"service\")",
			      LETHE_OFFICER_MAX);
	if (!o || !o->passphrase)
		return lt_err(LETHE_ERR_INVALID, "opening as officer %s needs their passphrase",
			      officer);
	return store_open(o, officer, out);
}
