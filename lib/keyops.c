/* keyops.c - KEK versions (list, rotate, rewrap, retire), officers only.
 *
 * What a rotation, a rewrap or a retirement is lives in keys/ (kekring.h, rewrap.h); here each
 * public call checks its caller is an officer, runs it in transactions, audits and commits.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/timeutil.h"
#include "crypt/prim.h"
#include "keys/evkey.h"
#include "keys/kekring.h"
#include "keys/rewrap.h"
#include "lib/internal.h"
#include "store/db.h"

/* Rows rewrapped per transaction: large enough to amortise the commit's fsync. */
#define REWRAP_BATCH 2000

enum lethe_err lt_need_officer(struct lethe_store *st, const char *action, const char *what)
{
	enum lethe_err rc;

	if (st->officer || st->key_auto)
		return LETHE_OK;
	rc = lt_err(LETHE_ERR_NOT_OFFICER, "%s needs an officer passphrase", what);
	lt_audit_record(
	    st, &(struct lt_audit_event){.action = action, .err = rc, .error = lt_err_detail()});
	return rc;
}

/* A key operation's audit action: key.auto_rotate for key.rotate run by lethe_key_auto(). */
static const char *key_action(const struct lethe_store *st, const char *action)
{
	if (!st->key_auto)
		return action;
	if (strcmp(action, "key.rotate") == 0)
		return "key.auto_rotate";
	if (strcmp(action, "key.rewrap") == 0)
		return "key.auto_rewrap";
	return "key.auto_retire";
}

/* Audit a failure of an officer operation, keeping the detail for the caller. */
static void audit_failure(struct lethe_store *st, const char *action, enum lethe_err rc)
{
	struct lt_err_saved saved;

	lt_audit_record(st, &(struct lt_audit_event){
				.action = action, .err = rc, .error = lt_err_save(&saved)});
}

/* ---------------------------------------------------------------------------------------- */

struct key_list_ctx {
	struct lethe_store *st;
	lethe_key_fn fn;
	void *ctx;
};

static int key_list_one(const struct lt_db_kek *kek, void *vctx)
{
	struct key_list_ctx *k = vctx;
	struct lethe_key_info info;

	memset(&info, 0, sizeof(info));
	info.version = kek->version;
	info.primary = kek->primary;
	info.state = kek->state == LETHE_KEK_RETIRED ? LETHE_KEK_RETIRED : LETHE_KEK_ACTIVE;
	info.created_at = kek->created_at;
	info.retired_at = kek->retired_at;
	info.objects = kek->objects;
	return k->fn(&info, k->ctx);
}

LETHE_API enum lethe_err lethe_key_list(struct lethe_store *st, lethe_key_fn fn, void *ctx)
{
	struct key_list_ctx k = {st, fn, ctx};

	lt_err_clear();
	if (!st || !fn)
		return lt_err(LETHE_ERR_INVALID, "key list needs a store and a callback");
	return lt_db_kek_list(st->db, key_list_one, &k);
}

LETHE_API enum lethe_err lethe_key_primary_age(struct lethe_store *st, int64_t *age)
{
	struct lt_db_kek row;
	enum lethe_err rc;

	lt_err_clear();
	if (age)
		*age = 0;
	if (!st || !age)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_db_kek_primary(st->db, &row);
	if (rc == LETHE_OK)
		*age = lt_now() - row.created_at;
	return rc;
}

/*
 * The new version goes into the keystore first, then its row commits: a crash in between
 * leaves an unused keystore entry that the next rotation (same version number) replaces.
 */
LETHE_API enum lethe_err lethe_key_rotate(struct lethe_store *st, uint32_t *new_version)
{
	uint32_t version = 0;
	char detail[64];
	enum lethe_err rc;

	lt_err_clear();
	if (new_version)
		*new_version = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_need_officer(st, key_action(st, "key.rotate"), "key rotation");
	if (rc != LETHE_OK)
		return rc;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_kek_ring_rotate(&st->keks, st->db, lt_now(), &version);
	if (rc == LETHE_OK) {
		snprintf(detail, sizeof(detail), "new primary KEK version %u", version);
		rc = lt_audit_append(
		    st, &(struct lt_audit_event){.action = key_action(st, "key.rotate"),
						 .error = detail});
	}
	if (rc == LETHE_OK) {
		LT_FAULT("rotate.before_commit");
		rc = lt_tx_commit(st);
	} else {
		lt_tx_rollback(st);
	}
	if (rc == LETHE_OK && new_version)
		*new_version = version;
out:
	if (rc != LETHE_OK)
		audit_failure(st, key_action(st, "key.rotate"), rc);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* rewrap                                                                                   */

/* One rewrap, batch after batch; each new wrap proven before it is stored (keys/rewrap.h). */
struct rewrap_ctx {
	struct lethe_store *st;
	struct lt_rewrapper w;
	uint64_t done;
	enum lethe_err rc;
};

static int rewrap_one(const struct lt_db_object *obj, void *vctx)
{
	struct rewrap_ctx *r = vctx;

	r->rc = lt_rewrapper_one(&r->w, obj);
	if (r->rc != LETHE_OK)
		return 1;
	r->done++;
	return 0;
}

/* One batch in one transaction; *n receives how many it rewrapped (0: finished). */
static enum lethe_err rewrap_batch(struct rewrap_ctx *r, uint64_t *n)
{
	struct lt_db_kek primary;
	char detail[96];
	uint64_t before = r->done;
	enum lethe_err rc;

	*n = 0;
	rc = lt_tx_begin(r->st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_db_kek_primary(r->st->db, &primary);
	if (rc == LETHE_OK)
		rc = lt_rewrapper_target(&r->w, primary.version);
	if (rc == LETHE_OK) {
		r->rc = LETHE_OK;
		rc = lt_db_object_not_under(r->st->db, r->w.primary, REWRAP_BATCH, rewrap_one, r);
		if (rc == LETHE_OK)
			rc = r->rc;
	}
	if (rc == LETHE_OK && r->done > before) {
		snprintf(detail, sizeof(detail), "rewrapped %llu data keys under KEK version %u",
			 (unsigned long long) (r->done - before), r->w.primary);
		rc = lt_audit_append(
		    r->st, &(struct lt_audit_event){.action = key_action(r->st, "key.rewrap"),
						    .error = detail});
	}
	if (rc == LETHE_OK) {
		LT_FAULT("rewrap.before_commit");
		rc = lt_tx_commit(r->st);
	} else {
		lt_tx_rollback(r->st);
		r->done = before;
	}
	if (rc == LETHE_OK) {
		LT_FAULT("rewrap.after_commit");
		*n = r->done - before;
	}
	return rc;
}

LETHE_API enum lethe_err lethe_key_rewrap(struct lethe_store *st, uint64_t *rewrapped)
{
	struct rewrap_ctx r;
	uint64_t n = 0, total;
	enum lethe_err rc;

	lt_err_clear();
	if (rewrapped)
		*rewrapped = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_need_officer(st, key_action(st, "key.rewrap"), "rewrapping data keys");
	if (rc != LETHE_OK)
		return rc;
	memset(&r, 0, sizeof(r));
	r.st = st;
	rc = lt_tx_begin(st);
	if (rc == LETHE_OK) {
		rc = lt_rows_precheck(st);
		lt_tx_rollback(st);
	}
	if (rc == LETHE_OK)
		rc = lt_rewrapper_init(&r.w, &st->keks, st->db);
	if (rc != LETHE_OK)
		goto out;
	total = lt_rewrapper_pending(st->db);
	do {
		rc = rewrap_batch(&r, &n);
		lt_progress(st, "rewrap", r.done, total);
	} while (rc == LETHE_OK && n > 0);
out:
	if (rc != LETHE_OK)
		audit_failure(st, key_action(st, "key.rewrap"), rc);
	if (rewrapped)
		*rewrapped = r.done;
	lt_rewrapper_free(&r.w);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* retire                                                                                   */

LETHE_API enum lethe_err lethe_key_retire(struct lethe_store *st, uint32_t version)
{
	char detail[64];
	enum lethe_err rc;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_need_officer(st, key_action(st, "key.retire"), "retiring a KEK");
	if (rc != LETHE_OK)
		return rc;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_rows_precheck(st);
	if (rc == LETHE_OK)
		rc = lt_kek_ring_retire(&st->keks, st->db, version, lt_now());
	if (rc == LETHE_OK) {
		snprintf(detail, sizeof(detail), "KEK version %u destroyed", version);
		rc = lt_audit_append(
		    st, &(struct lt_audit_event){.action = key_action(st, "key.retire"),
						 .error = detail});
	}
	if (rc == LETHE_OK) {
		LT_FAULT("retire.before_commit");
		rc = lt_tx_commit(st);
	} else {
		lt_tx_rollback(st);
	}
	if (rc == LETHE_OK) {
		LT_FAULT("retire.after_commit");
		/* the only copy of the key outside backups of keystore.luks goes now */
		rc = lt_kek_ring_destroy(&st->keks, version);
	}
	if (rc == LETHE_OK) {
		LT_FAULT("retire.after_keystore");
		/* old versions of rows still hold DEKs rewrapped away from the retired version */
		rc = lt_db_purge(st->db);
		if (rc == LETHE_ERR_BUSY)
			rc = LETHE_OK; /* a later purge (sweep, retire) finishes it */
	} else {
		audit_failure(st, key_action(st, "key.retire"), rc);
	}
	return rc;
}
