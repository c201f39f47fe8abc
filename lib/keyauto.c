/* keyauto.c - routine rotation: rotate when [keys] rotation has run out, rewrap, retire.
 *
 * Rotate, rewrap and retire are officer actions. With [keys] auto_rotate = true in the store's
 * own lethe.conf, lethe_key_auto() runs them as the service (a timer has no officer), audited
 * as key.auto_rotate, key.auto_rewrap and key.auto_retire. That gives the service nothing it
 * could misuse: a rotation and a rewrap destroy nothing, and a retirement destroys a KEK only
 * once no live data key is wrapped under it and every live data key has been proven to
 * unwrap under the version its row records (keys/kekring.c), which is what makes a manual
 * retire safe too. An officer may run it whatever the setting says.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "lib/internal.h"
#include "store/db.h"

/* The active versions that are not the primary: what a finished rotation retires. */
struct old_keks {
	uint32_t versions[64];
	size_t n;
};

static int collect_old(const struct lt_db_kek *kek, void *vctx)
{
	struct old_keks *old = vctx;

	if (kek->state != LETHE_KEK_RETIRED && !kek->primary &&
	    old->n < sizeof(old->versions) / sizeof(old->versions[0]))
		old->versions[old->n++] = kek->version;
	return 0;
}

static enum lethe_err run(struct lethe_store *st, struct lethe_key_auto_result *res)
{
	struct lt_db_kek primary;
	struct old_keks old = {.n = 0};
	enum lethe_err rc;

	rc = lt_db_kek_primary(st->db, &primary);
	if (rc != LETHE_OK)
		return rc;
	res->primary = primary.version;
	res->primary_age = lt_now() - primary.created_at;
	res->due = st->cfg.rotation > 0 && res->primary_age >= st->cfg.rotation;
	if (res->due) {
		rc = lethe_key_rotate(st, &res->rotated_to);
		if (rc != LETHE_OK)
			return rc;
		res->primary = res->rotated_to;
		res->primary_age = 0;
	}
	/* whether rotated now or by an earlier run that stopped half-way: finish it */
	rc = lethe_key_rewrap(st, &res->rewrapped);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_db_kek_list(st->db, collect_old, &old);
	for (size_t i = 0; rc == LETHE_OK && i < old.n; i++) {
		rc = lethe_key_retire(st, old.versions[i]);
		if (rc == LETHE_OK)
			res->retired++;
	}
	return rc;
}

LETHE_API enum lethe_err lethe_key_auto(struct lethe_store *st, struct lethe_key_auto_result *res)
{
	struct lethe_key_auto_result local;
	enum lethe_err rc;

	lt_err_clear();
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	if (!st->officer && !st->cfg.auto_rotate) {
		rc = lt_err(LETHE_ERR_NOT_OFFICER,
			    "automatic rotation needs [keys] auto_rotate = true in the store's "
			    "lethe.conf, or an officer passphrase");
		lt_audit_record(st, &(struct lt_audit_event){.action = "key.auto_rotate",
							     .err = rc,
							     .error = lt_err_detail()});
		return rc;
	}
	st->key_auto = !st->officer;
	rc = run(st, res);
	st->key_auto = false;
	if (st->cfg.rotation > 0)
		res->next_due = st->cfg.rotation - res->primary_age;
	return rc;
}
