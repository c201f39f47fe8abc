/* officer.c - officers: listed, added and removed (keyslots of the keystore), audited. */
#include <stddef.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"
#include "keys/keystore.h"
#include "lib/internal.h"

LETHE_API enum lethe_err lethe_officer_list(struct lethe_store *st, lethe_officer_fn fn, void *ctx)
{
	struct lt_slot_info slots[32];
	struct lethe_officer_info info;
	size_t n = 0, i;
	enum lethe_err rc;

	lt_err_clear();
	if (!st || !fn)
		return lt_err(LETHE_ERR_INVALID, "officer list needs a store and a callback");
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

static struct lt_kdf_params officer_kdf(struct lethe_store *st)
{
	struct lt_kdf_params kdf = {st->cfg.officer_kdf_memory_kib, st->cfg.officer_kdf_time,
				    st->cfg.officer_kdf_parallel};
	return kdf;
}

LETHE_API enum lethe_err lethe_officer_add(struct lethe_store *st, const char *name,
					   const char *passphrase, size_t passphrase_len)
{
	struct lt_kdf_params kdf;
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
	kdf = officer_kdf(st);
	rc = lt_keystore_officer_add(st->keystore_path, st->keys->mk, name, passphrase,
				     passphrase_len, &kdf);
	if (rc == LETHE_OK)
		LT_FAULT("officer.after_add"); /* the keyslot exists, its audit record not yet */
	{
		struct lt_err_saved saved;

		lt_audit_record(st, &(struct lt_audit_event){.action = "officer.add",
							     .err = rc,
							     .error = rc ? lt_err_save(&saved)
									 : name});
	}
	return rc;
}

LETHE_API enum lethe_err lethe_officer_remove(struct lethe_store *st, const char *name)
{
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
	rc = lt_keystore_officer_remove(st->keystore_path, name);
	if (rc == LETHE_OK)
		LT_FAULT("officer.after_remove");
	{
		struct lt_err_saved saved;

		lt_audit_record(st, &(struct lt_audit_event){.action = "officer.remove",
							     .err = rc,
							     .error = rc ? lt_err_save(&saved)
									 : name});
	}
	return rc;
}
