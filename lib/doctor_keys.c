/* doctor_keys.c - doctor's checks of the keys: keystore.luks and officers.luks (keys/check.c),
 * and the primary KEK's age against [keys] rotation. */
#include <stdint.h>

#include "common/err.h"
#include "keys/check.h"
#include "lib/doctor_internal.h"
#include "lib/internal.h"

/* How long before [keys] rotation runs out doctor starts warning, at most. */
#define ROTATION_NOTICE ((int64_t) 14 * 86400)

void lt_doctor_keys(struct doctor *d)
{
	struct lethe_store *st = d->st;
	int64_t age = 0;

	if (lt_keys_check(st->keystore_path, st->officers_path, st->store_id, st->db, d->repair,
			  lt_doctor_vreport, d) != LETHE_OK)
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
