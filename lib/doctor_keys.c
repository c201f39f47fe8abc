/* doctor_keys.c - doctor's checks of the keys: keystore.luks and officers.luks (keys/check.c),
 * and the primary KEK's age against [keys] rotation. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "keys/authority.h"
#include "keys/check.h"
#include "keys/luksdisk.h"
#include "lib/doctor_internal.h"
#include "lib/internal.h"

/*
 * One LUKS2 file's two headers: as they were when this handle opened the store (libcryptsetup
 * has rewritten a damaged one from the intact one since, if it could write the file), and as
 * they are now.
 */
static void headers_one(struct doctor *d, const char *path, const char *at_open)
{
	enum lethe_err rc = lt_luks_headers_check(path);

	if (rc == LETHE_ERR_INTEGRITY && strstr(lt_err_detail(), "both") == NULL)
		lt_doctor_report(
		    d, LETHE_DOCTOR_ERROR, "headers",
		    "%s: find out why (a failing disk, or someone who wrote the file), "
		    "then repair it with `cryptsetup repair %s`, which rewrites the "
		    "damaged header from the intact one, or restore the file from its "
		    "backup",
		    lt_err_detail(), path);
	else if (rc == LETHE_ERR_INTEGRITY)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "headers", "%s", lt_err_detail());
	else if (at_open[0] && rc == LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "headers",
				 "%s when this command opened the store; libcryptsetup has "
				 "rewritten it from the intact one since: find out why (a failing "
				 "disk, or someone who wrote the file), and if the intact header "
				 "may be an older copy, restore the file from its backup",
				 at_open);
	else if (rc != LETHE_OK)
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "headers", "%s", lt_err_detail());
	else
		lt_doctor_report(d, LETHE_DOCTOR_OK, "headers", "%s: both LUKS2 headers intact",
				 path);
	lt_err_clear();
}

/* keystore.luks and officers.luks (when the store has one): both headers of each intact. */
void lt_doctor_headers(struct doctor *d)
{
	struct stat sb;

	headers_one(d, d->st->keystore_path, d->st->keystore_damage.text);
	if (!(lstat(d->st->officers_path, &sb) != 0 && errno == ENOENT))
		headers_one(d, d->st->officers_path, d->st->officers_damage.text);
}

/* How long before [keys] rotation runs out doctor starts warning, at most. */
#define ROTATION_NOTICE ((int64_t) 14 * 86400)

/*
 * officers.luks's roster against the audit log (lt_officer_roster_check): NULL when it is not
 * older, else why (kept in @p why). A roster that cannot be read is keys/'s to report; the log's
 * newest officer record failing its MAC or signature counts as older: nothing is destroyed
 * on its word.
 */
static const char *roster_stale(struct doctor *d, struct lt_err_saved *why)
{
	struct lethe_store *st = d->st;
	struct lt_authority *a = calloc(1, sizeof(*a));
	const char *stale = NULL;

	if (a && access(st->officers_path, F_OK) == 0 &&
	    lt_authority_read(st->officers_path, st->store_id, a) == LETHE_OK &&
	    lt_officer_roster_check(st, a) != LETHE_OK) {
		stale = lt_err_save(why);
	}
	lt_err_clear();
	free(a);
	return stale;
}

void lt_doctor_keys(struct doctor *d)
{
	struct lethe_store *st = d->st;
	int64_t age = 0;
	struct lt_err_saved why;

	if (lt_keys_check(st->keystore_path, st->officers_path, st->store_id, st->db, d->repair,
			  roster_stale(d, &why), lt_doctor_vreport, d) != LETHE_OK)
		return;
	/* --repair may have changed the keystore: read its KEK token afresh */
	lt_kek_ring_forget(&st->keks);
	if (lethe_key_primary_age(st, &age) != LETHE_OK) {
		lt_doctor_report(d, LETHE_DOCTOR_ERROR, "keys", "no primary KEK: %s",
				 lt_err_detail());
		return;
	}
	/* Warned a tenth of the period ahead (at most two weeks): time for an officer to plan. */
	int64_t ahead =
	    st->cfg.rotation / 10 < ROTATION_NOTICE ? st->cfg.rotation / 10 : ROTATION_NOTICE;

	if (st->cfg.rotation > 0 && age > st->cfg.rotation)
		lt_doctor_report(d, LETHE_DOCTOR_WARN, "keys",
				 "the primary KEK is %lld days old, older than "
				 "[keys] rotation: run `lethe key rotate` and `lethe key rewrap`",
				 (long long) (age / 86400));
	else if (st->cfg.rotation > 0 && age > st->cfg.rotation - ahead)
		lt_doctor_report(
		    d, LETHE_DOCTOR_WARN, "keys",
		    "the primary KEK is %lld days old: [keys] "
		    "rotation runs out in %lld seconds (%lld days); plan `lethe key rotate` and "
		    "`lethe key rewrap`",
		    (long long) (age / 86400), (long long) (st->cfg.rotation - age),
		    (long long) ((st->cfg.rotation - age) / 86400));
	else
		lt_doctor_report(d, LETHE_DOCTOR_OK, "keys", "primary KEK is %lld days old",
				 (long long) (age / 86400));
}
