/* officer.c - officers: listed, added, removed and their passphrases changed (keyslots of
 * officers.luks, under the officer authority), audited. officer_open.c checks the authority at
 * each officer open. */
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

static enum lethe_err officer_list_legacy(struct lethe_store *st, lethe_officer_fn fn, void *ctx)
{
	struct lt_slot_info slots[32];
	struct lethe_officer_info info;
	size_t n = 0, i;
	enum lethe_err rc;

	rc = lt_keystore_slots(st->keystore_path, slots, 32, &n);
	for (i = 0; rc == LETHE_OK && i < n; i++) {
		memset(&info, 0, sizeof(info));
		lt_strlcpy(info.name, slots[i].name, sizeof(info.name));
		info.keyslot = slots[i].keyslot;
		info.officer = slots[i].role == LT_SLOT_OFFICER;
		if (fn(&info, ctx))
			break;
	}
	return rc;
}

LETHE_API enum lethe_err lethe_officer_list(struct lethe_store *st, lethe_officer_fn fn, void *ctx)
{
	struct lt_authority a;
	struct lethe_officer_info info;
	enum lethe_err rc;

	lt_err_clear();
	if (!st || !fn)
		return lt_err(LETHE_ERR_INVALID, "officer list needs a store and a callback");
	if (access(st->officers_path, F_OK) != 0 && errno == ENOENT)
		return officer_list_legacy(st, fn, ctx);
	rc = lt_authority_read(st->officers_path, st->store_id, &a);
	if (rc != LETHE_OK)
		return rc;
	memset(&info, 0, sizeof(info));
	lt_strlcpy(info.name, "service", sizeof(info.name));
	if (fn(&info, ctx)) /* keyslot 0 of keystore.luks */
		return LETHE_OK;
	for (size_t i = 0; i < a.count; i++) {
		memset(&info, 0, sizeof(info));
		lt_strlcpy(info.name, a.officer[i].name, sizeof(info.name));
		info.keyslot = a.officer[i].keyslot;
		info.officer = 1;
		if (fn(&info, ctx))
			break;
	}
	return LETHE_OK;
}

struct lt_kdf_params lt_officer_kdf(struct lethe_store *st)
{
	struct lt_kdf_params kdf = {st->cfg.officer_kdf_memory_kib, st->cfg.officer_kdf_time,
				    st->cfg.officer_kdf_parallel};
	return kdf;
}

LETHE_API enum lethe_err lethe_officer_add(struct lethe_store *st, const char *name,
					   const char *passphrase, size_t passphrase_len)
{
	struct lt_kdf_params kdf;
	char detail[LETHE_OFFICER_MAX + 48];
	uint32_t serial = 0;
	int keyslot = -1;
	enum lethe_err rc;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_need_officer(st, "officer.add", "adding an officer");
	if (rc != LETHE_OK)
		return rc;
	if (!name || !lt_officer_name_valid(name))
		return lt_err(LETHE_ERR_INVALID,
			      "officer name must be 1-%d characters of "
			      "A-Z a-z 0-9 . _ - (and not \"service\")",
			      LETHE_OFFICER_MAX);
	if (!passphrase || passphrase_len == 0)
		return lt_err(LETHE_ERR_INVALID, "the new officer's passphrase is empty");
	rc = lt_store_writable(st); /* the keystore is written first */
	if (rc != LETHE_OK)
		return rc;
	kdf = lt_officer_kdf(st);
	rc = lt_authority_officer_add(st->officers_path, st->store_id, st->keys->oas, name,
				      passphrase, passphrase_len, &kdf, &keyslot, &serial);
	/* an officer of a store from before officers.luks, added again: their old keyslot in
	 * keystore.luks goes */
	if (rc == LETHE_OK)
		rc = lt_keystore_legacy_drop(st->keystore_path, name);
	if (rc == LETHE_OK)
		LT_FAULT("officer.after_add"); /* the keyslot exists, its audit record not yet */
	{
		struct lt_err_saved saved;

		if (rc == LETHE_OK) /* the log says who holds which keyslot (audit/roster.c) */
			lt_audit_officer_detail(detail, sizeof(detail), name, keyslot, serial);
		lt_audit_record(
		    st, &(struct lt_audit_event){.action = "officer.add",
						 .err = rc,
						 .error = rc ? lt_err_save(&saved) : detail});
	}
	return rc;
}

LETHE_API enum lethe_err lethe_officer_remove(struct lethe_store *st, const char *name)
{
	char detail[LETHE_OFFICER_MAX + 48];
	uint32_t serial = 0;
	int keyslot = -1;
	enum lethe_err rc;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_need_officer(st, "officer.remove", "removing an officer");
	if (rc != LETHE_OK)
		return rc;
	if (!name || !lt_officer_name_valid(name))
		return lt_err(LETHE_ERR_INVALID, "not a valid officer name");
	rc = lt_store_writable(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_authority_officer_remove(st->officers_path, st->store_id, st->keys->oas, name,
					 &keyslot, &serial);
	if (rc == LETHE_OK)
		LT_FAULT("officer.after_remove");
	{
		struct lt_err_saved saved;

		if (rc == LETHE_OK)
			lt_audit_officer_detail(detail, sizeof(detail), name, keyslot, serial);
		lt_audit_record(
		    st, &(struct lt_audit_event){.action = "officer.remove",
						 .err = rc,
						 .error = rc ? lt_err_save(&saved) : detail});
	}
	return rc;
}

LETHE_API enum lethe_err lethe_officer_passwd(struct lethe_store *st, const char *passphrase,
					      size_t passphrase_len)
{
	struct lt_kdf_params kdf;
	enum lethe_err rc;
	int keyslot = -1;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_need_officer(st, "officer.passwd", "changing an officer's passphrase");
	if (rc != LETHE_OK)
		return rc;
	if (!passphrase || passphrase_len == 0)
		return lt_err(LETHE_ERR_INVALID, "the new passphrase is empty");
	rc = lt_store_writable(st);
	if (rc != LETHE_OK)
		return rc;
	kdf = lt_officer_kdf(st);
	/* the handle's own officer: the passphrase that opened it is the old one */
	rc = lt_authority_officer_passwd(st->officers_path, st->store_id, st->keys->oas,
					 st->who.name, passphrase, passphrase_len, &kdf, &keyslot);
	if (keyslot >= 0)
		st->who.keyslot = keyslot;
	if (rc == LETHE_OK)
		LT_FAULT("officer.after_passwd"); /* the new keyslot named, its record not yet */
	{
		struct lt_err_saved saved;
		char detail[LETHE_OFFICER_MAX + 48] = "";
		struct lt_authority *a = rc == LETHE_OK ? calloc(1, sizeof(*a)) : NULL;

		/* like add and remove, the record states the roster it wrote: an officers.luks
		 * put back from before the change is older than the log (lt_officer_roster_check) */
		if (a && lt_authority_read(st->officers_path, st->store_id, a) == LETHE_OK)
			lt_audit_officer_detail(detail, sizeof(detail), st->who.name, keyslot,
						a->serial);
		else if (rc == LETHE_OK)
			lt_audit_officer_detail(detail, sizeof(detail), st->who.name, keyslot, 0);
		free(a);
		lt_err_clear();
		lt_audit_record(
		    st, &(struct lt_audit_event){.action = "officer.passwd",
						 .err = rc,
						 .error = rc ? lt_err_save(&saved) : detail});
	}
	return rc;
}
