/* officer_open.c - at each officer open: the officer authority checked against its pin in
 * meta.db and its roster against the audit log, and a store from before officers.luks
 * migrated to it. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/fsutil.h"
#include "keys/authority.h"
#include "keys/keystore.h"
#include "lib/internal.h"

/* The pinned OAK public key: LETHE_ERR_NOT_FOUND when none is. */
static enum lethe_err pin_read(struct lethe_store *st, uint8_t pub[LT_ED25519_PUB_LEN])
{
	size_t len = 0;
	enum lethe_err rc =
	    lt_db_meta_get(st->db, LT_AUTHORITY_META_PUB, pub, LT_ED25519_PUB_LEN, &len);

	if (rc == LETHE_OK && len != LT_ED25519_PUB_LEN)
		rc = lt_err(LETHE_ERR_INTEGRITY, "meta.db: the pinned officer authority is "
						 "malformed");
	return rc;
}

/* Pin the handle's authority and audit it as @p action, in one transaction. */
static enum lethe_err pin_write(struct lethe_store *st, const char *action, const char *why)
{
	char fingerprint[65], detail[256];
	enum lethe_err rc;

	rc = lt_authority_fingerprint(st->authority_pub, fingerprint);
	if (rc != LETHE_OK)
		return rc;
	snprintf(detail, sizeof(detail), "officer authority %s; %s", fingerprint, why);
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_db_meta_set(st->db, LT_AUTHORITY_META_PUB, st->authority_pub,
			    sizeof(st->authority_pub));
	if (rc == LETHE_OK)
		rc = lt_audit_append(st,
				     &(struct lt_audit_event){.action = action, .error = detail});
	if (rc == LETHE_OK)
		return lt_tx_commit(st);
	lt_tx_rollback(st);
	return rc;
}

/*
 * The officers of a store from before officers.luks are keyslots of keystore.luks. The first
 * of them to open it makes officers.luks around a new authority holding only themselves
 * (nobody knows the others' passphrases), puts it in place, pins it, and destroys their own
 * keyslot in keystore.luks. The others are re-added by an officer; their old keyslots are
 * never tried again (doctor reports them).
 */
static enum lethe_err authority_migrate(struct lethe_store *st, const char *passphrase,
					size_t pass_len)
{
	struct lt_kdf_params kdf = lt_officer_kdf(st);
	size_t len = strlen(st->officers_path) + 5;
	char *tmp = malloc(len);
	char dir_path[4096];
	enum lethe_err rc;

	if (!tmp)
		return lt_err(LETHE_ERR_NOMEM, "out of memory");
	snprintf(tmp, len, "%s.new", st->officers_path);
	(void) unlink(tmp); /* a migration a crash interrupted before its rename */
	rc = lt_authority_create(tmp, st->store_id, st->keys->mk, st->who.name, passphrase,
				 pass_len, &kdf, st->keys->oas, st->authority_pub);
	if (rc != LETHE_OK)
		goto out;
	/* the officer.migrate record below is the first the new authority signs */
	st->authority_ready = true;
	if (rename(tmp, st->officers_path) != 0) {
		rc = lt_err_errno(LETHE_ERR_IO, errno, "%s: rename", tmp);
		(void) unlink(tmp);
		goto out;
	}
	rc = lt_parent_dir(st->officers_path, dir_path, sizeof(dir_path));
	if (rc == LETHE_OK)
		rc = lt_fsync_dir(dir_path);
	if (rc == LETHE_OK)
		rc = pin_write(st, "officer.migrate",
			       "officers moved from keystore.luks to officers.luks; other "
			       "officers must be added again");
	if (rc == LETHE_OK)
		rc = lt_keystore_legacy_drop(st->keystore_path, st->who.name);
	st->who.keyslot = 0;
out:
	free(tmp);
	return rc;
}

/* Whether the roster @p a holds officer @p name. */
static bool roster_names(const struct lt_authority *a, const char *name)
{
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->officer[i].name, name) == 0)
			return true;
	return false;
}

/*
 * The roster the unlock went by must not be older than the audit log's newest change of it
 * (lt_audit_roster_newest, its MAC and its officer signature checked): a signed roster stays
 * valid for ever, and T1 can put an older officers.luks, or an older roster token, back
 * (docs/THREATS.md). The record states the serial of the roster it wrote; one of an earlier
 * release names the officer alone, whom the roster must then name (added) or not (removed).
 */
enum lethe_err lt_officer_roster_check(struct lethe_store *st, const struct lt_authority *a)
{
	struct lt_db_audit *rec = calloc(1, sizeof(*rec));
	char name[LETHE_OFFICER_MAX + 1];
	uint32_t serial = 0;
	int keyslot;
	bool found, stale;
	enum lethe_err rc;

	if (!rec)
		return lt_err(LETHE_ERR_NOMEM, "out of memory");
	rc = lt_audit_roster_newest(st->db, st->keys->audit_mac, rec, &found);
	if (rc != LETHE_OK || !found || strcmp(rec->action, "officer.migrate") == 0)
		goto out;
	rc = lt_audit_officer_sig_check(a->pub, st->store_id, rec);
	if (rc != LETHE_OK && rc != LETHE_ERR_INTEGRITY)
		goto out; /* the check itself failed (out of memory): no verdict */
	if (rc != LETHE_OK) {
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "audit record %llu (%s) carries no valid officer signature: it was "
			    "appended without the officer authority; run lethe audit verify",
			    (unsigned long long) rec->seq, rec->action);
		goto out;
	}
	if (!lt_audit_officer_detail_parse(rec->error, name, &keyslot, &serial)) {
		rc = lt_err(LETHE_ERR_INTEGRITY, "audit record %llu (%s) names no officer",
			    (unsigned long long) rec->seq, rec->action);
		goto out;
	}
	if (serial)
		stale = a->serial < serial;
	else
		stale = strcmp(rec->action, "officer.remove") == 0 ? roster_names(a, name)
								   : !roster_names(a, name);
	if (stale)
		rc =
		    lt_err(LETHE_ERR_INTEGRITY,
			   "%s: the officer roster (serial %u) is older than the audit log (audit "
			   "record %llu: %s of \"%s\", roster serial %u): officers.luks was rolled "
			   "back or an older roster replayed; restore the newest officers.luks",
			   st->officers_path, a->serial, (unsigned long long) rec->seq, rec->action,
			   name, serial);
out:
	free(rec);
	return rc;
}

enum lethe_err lt_authority_open(struct lethe_store *st, bool legacy, const char *passphrase,
				 size_t pass_len)
{
	uint8_t pinned[LT_ED25519_PUB_LEN];
	char have[65], want[65];
	enum lethe_err rc;

	rc = pin_read(st, pinned);
	if (legacy) {
		if (rc == LETHE_OK)
			return lt_err(LETHE_ERR_INTEGRITY,
				      "%s is missing, but meta.db pins an "
				      "officer authority: restore it from a backup (officer "
				      "keyslots of keystore.luks are not honoured any more)",
				      st->officers_path);
		if (rc != LETHE_ERR_NOT_FOUND)
			return rc;
		return authority_migrate(st, passphrase, pass_len);
	}
	if (rc == LETHE_ERR_NOT_FOUND) /* a migration interrupted after its rename */
		return pin_write(st, "officer.migrate", "pinned at the first officer open");
	if (rc != LETHE_OK)
		return rc;
	if (lt_memeq(pinned, st->authority_pub, sizeof(pinned)))
		return lt_officer_roster_check(st, &st->roster);
	(void) lt_authority_fingerprint(st->authority_pub, have);
	(void) lt_authority_fingerprint(pinned, want);
	return lt_err(LETHE_ERR_INTEGRITY,
		      "%s was replaced: it is signed by officer authority "
		      "%.16s..., this store's is %.16s...",
		      st->officers_path, have, want);
}

/* A store from before officers.luks, not yet opened by an officer: its keystore's names. */
