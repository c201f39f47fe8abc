/* check.c - the keystore's keyslots and KEK entries checked for doctor, and repaired. */
#include "keys/check.h"

#include <stdarg.h>

#include "common/err.h"
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

enum lethe_err lt_keys_check(const char *keystore_path, struct lt_db *db, bool repair,
			     lt_keys_report_fn fn, void *ctx)
{
	struct check c = {keystore_path, db, repair, fn, ctx, 0};
	struct lt_slot_info slots[32];
	size_t n = 0, i, officers = 0, unnamed = 0;
	enum lethe_err rc;

	rc = lt_keystore_slots(keystore_path, slots, 32, &n);
	if (rc != LETHE_OK) {
		say(&c, LETHE_DOCTOR_ERROR, "keystore", "%s", lt_err_detail());
		return rc;
	}
	for (i = 0; i < n; i++)
		officers += slots[i].role == LT_SLOT_OFFICER;
	say(&c, officers ? LETHE_DOCTOR_OK : LETHE_DOCTOR_ERROR, "keystore",
	    "%zu keyslot(s), %zu officer(s)", n, officers);
	/* a crash while adding an officer leaves a keyslot that opens the MK under no name */
	if (lt_keystore_unnamed(keystore_path, &unnamed) != LETHE_OK)
		say(&c, LETHE_DOCTOR_ERROR, "keystore", "%s", lt_err_detail());
	else if (unnamed && repair && lt_keystore_repair(keystore_path, &i) == LETHE_OK)
		say(&c, LETHE_DOCTOR_REPAIRED, "keystore", "%zu unnamed keyslot(s) destroyed", i);
	else if (unnamed)
		say(&c, LETHE_DOCTOR_ERROR, "keystore",
		    "%zu keyslot(s) without a name open the master key (an interrupted "
		    "`officer add`; doctor --repair destroys them)",
		    unnamed);
	check_kek_entries(&c);
	return LETHE_OK;
}
