/* check.c - the keystore's keyslots and KEK entries checked for doctor, and repaired. */
#include "keys/check.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "common/err.h"
#include "keys/authority.h"
#include "keys/keystore.h"

struct check {
	const char *keystore_path;
	struct lt_db *db;
	bool repair;
	lt_keys_report_fn fn;
	void *ctx;
	unsigned errors;
};

static void say(struct check *c, enum lethe_doctor_level level, const char *check, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

static void say(struct check *c, enum lethe_doctor_level level, const char *check, const char *fmt,
		...)
{
	va_list ap;

	if (level == LETHE_DOCTOR_ERROR)
		c->errors++;
	va_start(ap, fmt);
	c->fn(c->ctx, level, check, fmt, ap);
	va_end(ap);
}

/* Every active KEK has its keystore entry, and no retired or unknown version keeps one. */
static void check_kek_entries(struct check *c)
{
	struct lt_keystore_kek keks[LT_KEYSTORE_KEKS_MAX];
	struct lt_db_kek row;
	uint32_t max = 0, v;
	size_t n = 0, i;
	unsigned before = c->errors;

	if (lt_keystore_keks(c->keystore_path, keks, LT_KEYSTORE_KEKS_MAX, &n) != LETHE_OK ||
	    lt_db_kek_max_version(c->db, &max) != LETHE_OK) {
		say(c, LETHE_DOCTOR_ERROR, "keys", "%s", lt_err_detail());
		return;
	}
	for (i = 0; i < n; i++) {
		enum lethe_err rc = lt_db_kek_get(c->db, keks[i].version, &row);

		if (rc == LETHE_OK && row.state == LETHE_KEK_ACTIVE)
			continue;
		if (rc != LETHE_OK) {
			/* a crash in rotate (the next rotation reuses it), or a newer meta.db's
			 * key after a restore: never destroyed automatically */
			say(c, LETHE_DOCTOR_WARN, "keys",
			    "KEK version %u is in the keystore but not in the database (an "
			    "interrupted rotation, or a database restored from before it)",
			    keks[i].version);
			continue;
		}
		/* retired, but a crash came between the commit and the keystore update */
		if (c->repair &&
		    lt_keystore_kek_remove(c->keystore_path, keks[i].version) == LETHE_OK)
			say(c, LETHE_DOCTOR_REPAIRED, "keys",
			    "retired KEK version %u removed from the keystore", keks[i].version);
		else
			say(c, LETHE_DOCTOR_ERROR, "keys",
			    "retired KEK version %u is still in the keystore (doctor --repair "
			    "removes it)",
			    keks[i].version);
	}
	for (v = 1; v <= max; v++) {
		bool found = false;

		if (lt_db_kek_get(c->db, v, &row) != LETHE_OK || row.state != LETHE_KEK_ACTIVE)
			continue;
		for (i = 0; i < n; i++)
			found |= keks[i].version == v;
		if (!found)
			say(c, LETHE_DOCTOR_ERROR, "keys",
			    "active KEK version %u is missing from the keystore: objects under it "
			    "cannot be read",
			    v);
	}
	if (c->errors == before)
		say(c, LETHE_DOCTOR_OK, "keys", "%zu KEK version(s) in the keystore, all active",
		    n);
}

/* A store from before officers.luks: its officers are keyslots of keystore.luks. */
static enum lethe_err check_legacy_slots(struct check *c)
{
	struct lt_slot_info slots[32];
	size_t n = 0, i, officers = 0, unnamed = 0;
	enum lethe_err rc;

	rc = lt_keystore_slots(c->keystore_path, slots, 32, &n);
	if (rc != LETHE_OK) {
		say(c, LETHE_DOCTOR_ERROR, "keystore", "%s", lt_err_detail());
		return rc;
	}
	for (i = 0; i < n; i++)
		officers += slots[i].role == LT_SLOT_OFFICER;
	say(c, officers ? LETHE_DOCTOR_WARN : LETHE_DOCTOR_ERROR, "keystore",
	    "%zu keyslot(s), %zu officer(s) in keystore.luks (a store from before "
	    "officers.luks: the first officer open moves the officer authority there)",
	    n, officers);
	/* a crash while adding an officer leaves a keyslot that opens the MK under no name */
	if (lt_keystore_unnamed(c->keystore_path, &unnamed) != LETHE_OK)
		say(c, LETHE_DOCTOR_ERROR, "keystore", "%s", lt_err_detail());
	else if (unnamed && c->repair && lt_keystore_repair(c->keystore_path, &i) == LETHE_OK)
		say(c, LETHE_DOCTOR_REPAIRED, "keystore", "%zu unnamed keyslot(s) destroyed", i);
	else if (unnamed)
		say(c, LETHE_DOCTOR_ERROR, "keystore",
		    "%zu keyslot(s) without a name open the master key (an interrupted "
		    "`officer add`; doctor --repair destroys them)",
		    unnamed);
	return LETHE_OK;
}

/* keystore.luks holds the service keyslot alone: anything else was added by someone with the
 * master key or the service keyfile (cryptsetup), or is an officer's from before officers.luks. */
static void check_foreign(struct check *c)
{
	struct lt_keystore_foreign f;
	size_t destroyed = 0;

	if (lt_keystore_foreign(c->keystore_path, &f) != LETHE_OK) {
		say(c, LETHE_DOCTOR_ERROR, "keystore", "%s", lt_err_detail());
		return;
	}
	if (f.keyslots == 0 && f.tokens == 0) {
		say(c, LETHE_DOCTOR_OK, "keystore", "the service keyslot alone");
		return;
	}
	if (c->repair && lt_keystore_purge(c->keystore_path, &destroyed) == LETHE_OK) {
		say(c, LETHE_DOCTOR_REPAIRED, "keystore",
		    "%zu foreign keyslot(s) and %zu lethe-slot token(s) destroyed", destroyed,
		    f.tokens);
		return;
	}
	for (size_t i = 0; i < f.keyslots; i++)
		say(c, LETHE_DOCTOR_ERROR, "keystore",
		    "keyslot %d of keystore.luks is not the service's: it opens the master key but "
		    "no officer authority (added with the master key or the service keyfile, or an "
		    "officer's from before officers.luks: add them again with `lethe officer "
		    "add`); "
		    "lethe never tries it; doctor --repair destroys it",
		    f.keyslot[i]);
	if (f.tokens)
		say(c, LETHE_DOCTOR_ERROR, "keystore",
		    "%zu lethe-slot token(s) besides the service's%s%s%s: officers are named only "
		    "by the signed roster of officers.luks; doctor --repair removes them",
		    f.tokens, f.first_name[0] ? " (the first names \"" : "", f.first_name,
		    f.first_name[0] ? "\")" : "");
}

/* officers.luks: its roster signed, its authority the one meta.db pinned, no stray keyslot. */
static void check_authority(struct check *c, const char *officers_path, const char *store_id,
			    const char *roster_stale)
{
	uint8_t pinned[LT_ED25519_PUB_LEN];
	struct lt_authority a;
	char fingerprint[65];
	size_t len = 0, unrostered = 0;
	enum lethe_err rc;

	rc = lt_db_meta_get(c->db, LT_AUTHORITY_META_PUB, pinned, sizeof(pinned), &len);
	if (rc == LETHE_OK && len != sizeof(pinned))
		rc = LETHE_ERR_INTEGRITY;
	if (lt_authority_read(officers_path, store_id, &a) != LETHE_OK) {
		say(c, LETHE_DOCTOR_ERROR, "officers", "%s", lt_err_detail());
		return;
	}
	(void) lt_authority_fingerprint(a.pub, fingerprint);
	if (rc == LETHE_ERR_NOT_FOUND)
		say(c, LETHE_DOCTOR_ERROR, "officers",
		    "meta.db pins no officer authority (an interrupted migration: the next officer "
		    "open pins %s)",
		    fingerprint);
	else if (rc != LETHE_OK)
		say(c, LETHE_DOCTOR_ERROR, "officers",
		    "meta.db: the pinned officer authority is "
		    "unreadable or malformed");
	else if (!lt_memeq(pinned, a.pub, sizeof(pinned)))
		say(c, LETHE_DOCTOR_ERROR, "officers",
		    "%s was replaced: its roster is signed by officer authority %s, not the one "
		    "this store pinned",
		    officers_path, fingerprint);
	else
		say(c, LETHE_DOCTOR_OK, "officers",
		    "officer authority %s, %zu officer(s), roster "
		    "%u signed",
		    fingerprint, a.count, a.serial);
	if (roster_stale)
		say(c, LETHE_DOCTOR_ERROR, "officers", "%s", roster_stale);
	/* a roster older than the log may leave out officers the log says are current: their
	 * keyslots are reported, never destroyed */
	if (lt_authority_unrostered(officers_path, store_id, c->repair && !roster_stale,
				    &unrostered) != LETHE_OK)
		say(c, LETHE_DOCTOR_ERROR, "officers", "%s", lt_err_detail());
	else if (unrostered && roster_stale)
		say(c, LETHE_DOCTOR_ERROR, "officers",
		    "%zu keyslot(s) of officers.luks outside its roster, which is older than the "
		    "audit log: not destroyed (they may be current officers'); restore the newest "
		    "officers.luks",
		    unrostered);
	else if (unrostered && c->repair)
		say(c, LETHE_DOCTOR_REPAIRED, "officers",
		    "%zu keyslot(s) outside the roster "
		    "destroyed",
		    unrostered);
	else if (unrostered)
		say(c, LETHE_DOCTOR_ERROR, "officers",
		    "%zu keyslot(s) of officers.luks outside the signed roster (an interrupted "
		    "`officer add` or `officer remove`; never tried; doctor --repair destroys "
		    "them)",
		    unrostered);
}

enum lethe_err lt_keys_check(const char *keystore_path, const char *officers_path,
			     const char *store_id, struct lt_db *db, bool repair,
			     const char *roster_stale, lt_keys_report_fn fn, void *ctx)
{
	struct check c = {keystore_path, db, repair, fn, ctx, 0};
	uint8_t pinned[LT_ED25519_PUB_LEN];
	size_t len = 0;
	struct stat sb;
	bool pin, file;
	enum lethe_err rc;

	pin = lt_db_meta_get(db, LT_AUTHORITY_META_PUB, pinned, sizeof(pinned), &len) !=
	      LETHE_ERR_NOT_FOUND;
	file = !(lstat(officers_path, &sb) != 0 && errno == ENOENT);
	if (!pin && !file) {
		rc = check_legacy_slots(&c);
		if (rc != LETHE_OK)
			return rc;
	} else if (!file) {
		say(&c, LETHE_DOCTOR_ERROR, "officers",
		    "%s is missing, but meta.db pins an officer authority: no officer can open "
		    "the store; restore it from a backup",
		    officers_path);
		check_foreign(&c);
	} else {
		check_authority(&c, officers_path, store_id, roster_stale);
		check_foreign(&c);
	}
	check_kek_entries(&c);
	return LETHE_OK;
}
