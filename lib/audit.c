/* audit.c - the audit log of a store handle, composed from audit/: transactions whose records
 * reach syslog only once they commit, recording an event in the caller's transaction or in one
 * of its own, and the public audit calls (verify, export, checkpoint). */
#include <stdbool.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "lib/internal.h"

/* The handles audit/ appends with: this handle's database, chain key and syslog queue. */
static struct lt_audit_log audit_log(struct lethe_store *st)
{
	return (struct lt_audit_log){
	    .db = st->db,
	    .key = st->keys->audit_mac,
	    .syslog = st->cfg.syslog ? &st->syslog_queue : NULL,
	};
}

/* ---------------------------------------------------------------------------------------- */
/* transactions                                                                             */

enum lethe_err lt_tx_begin(struct lethe_store *st)
{
	enum lethe_err rc = lt_db_begin(st->db);

	if (rc == LETHE_OK)
		st->in_tx = true;
	return rc;
}

enum lethe_err lt_tx_commit(struct lethe_store *st)
{
	enum lethe_err rc = lt_db_commit(st->db);

	if (rc != LETHE_OK) {
		lt_tx_rollback(st);
		return rc;
	}
	st->in_tx = false;
	lt_audit_queue_flush(&st->syslog_queue, true);
	return LETHE_OK;
}

void lt_tx_rollback(struct lethe_store *st)
{
	if (st->in_tx)
		lt_db_rollback(st->db);
	st->in_tx = false;
	lt_audit_queue_flush(&st->syslog_queue, false);
}

/* ---------------------------------------------------------------------------------------- */
/* records                                                                                  */

enum lethe_err lt_audit_append(struct lethe_store *st, const struct lt_audit_event *ev)
{
	struct lt_audit_log log = audit_log(st);

	return lt_audit_event_append(&log, &st->actor, ev);
}

enum lethe_err lt_audit_record(struct lethe_store *st, const struct lt_audit_event *ev)
{
	struct lt_err_saved saved;
	enum lethe_err rc;

	/* the caller's detail is what the user must see, whatever happens here */
	lt_err_save(&saved);
	rc = lt_tx_begin(st);
	if (rc == LETHE_OK) {
		rc = lt_audit_append(st, ev);
		if (rc == LETHE_OK)
			rc = lt_tx_commit(st);
		else
			lt_tx_rollback(st);
	}
	if (rc != LETHE_OK)
		lt_audit_report_unwritten(ev->action, lt_err_detail());
	return lt_err_restore(&saved, rc);
}

void lt_audit_record_unkeyed(struct lt_db *db, const struct lt_config *cfg, const char *action,
			     const char *keyslot, enum lethe_err err, const char *error)
{
	struct lt_audit_actor actor;
	struct lt_audit_event ev = {.action = action, .err = err};
	struct lt_err_saved saved;

	/* @p error may be the detail itself: it becomes the detail, and a copy nothing below
	 * overwrites */
	lt_err(LETHE_OK, "%s", error ? error : "");
	ev.error = lt_err_save(&saved);
	/* the actor as far as the process knows it, from its uid as on every other record (never
	 * from $USER, which whoever runs lethe chooses): no keyslot opened */
	lt_audit_actor_self(&actor);
	lt_strlcpy(actor.keyslot, keyslot ? keyslot : "", sizeof(actor.keyslot));
	lt_audit_pending_add(db, cfg ? cfg->syslog : true, &actor, &ev);
	lt_err_restore(&saved, LETHE_OK);
}

enum lethe_err lt_audit_fold_pending(struct lethe_store *st)
{
	struct lt_audit_log log = audit_log(st);
	enum lethe_err rc;

	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_audit_pending_fold(&log);
	if (rc == LETHE_OK)
		return lt_tx_commit(st);
	lt_tx_rollback(st);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* public calls                                                                             */

LETHE_API enum lethe_err lethe_audit_verify(struct lethe_store *st, lethe_problem_fn fn, void *ctx,
					    uint64_t *records)
{
	bool intact = false;
	enum lethe_err rc;

	lt_err_clear();
	if (records)
		*records = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	/* Checkpoints are verified under meta.evidence_pub: it must be the key bound to the
	 * master key, or a database edit could sign checkpoints of its own. */
	{
		uint8_t pub[LT_ED25519_PUB_LEN];

		rc = lt_evidence_pub(st, pub);
		if (rc == LETHE_ERR_INTEGRITY && fn)
			fn("meta.evidence_pub", lt_err_detail(), ctx);
		if (rc == LETHE_ERR_INTEGRITY)
			return lt_err(LETHE_ERR_INTEGRITY, "audit log verification failed: the "
							   "evidence key in the database was replaced");
		if (rc != LETHE_OK)
			return rc;
	}
	rc = lt_audit_verify(st->db, st->keys->audit_mac, fn, ctx, records, &intact);
	if (rc != LETHE_OK)
		return rc;
	if (!intact) {
		lt_audit_record(st, &(struct lt_audit_event){.action = "audit.verify",
							     .err = LETHE_ERR_INTEGRITY,
							     .error = "audit chain broken"});
		return lt_err(LETHE_ERR_INTEGRITY, "audit log verification failed");
	}
	return LETHE_OK;
}

LETHE_API enum lethe_err lethe_audit_export(struct lethe_store *st, int fd, uint64_t since_seq,
					    int64_t since_time, uint64_t *count)
{
	lt_err_clear();
	if (count)
		*count = 0;
	if (!st || fd < 0)
		return lt_err(LETHE_ERR_INVALID, "no store or output");
	return lt_audit_export(st->db, fd, since_seq, since_time, count);
}

LETHE_API enum lethe_err lethe_audit_checkpoint(struct lethe_store *st, const char *dir,
						uint64_t *seq)
{
	struct lt_audit_checkpoint cp = {0};
	enum lethe_err rc;

	lt_err_clear();
	if (seq)
		*seq = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_evidence_key_load(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	/* the checkpoint covers its own audit record */
	rc = lt_audit_append(st, &(struct lt_audit_event){.action = "audit.checkpoint"});
	if (rc == LETHE_OK)
		rc = lt_audit_checkpoint_add(st->db, st->store_id, st->evidence_signer, &cp);
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	if (rc == LETHE_OK && dir)
		rc = lt_audit_checkpoint_write(dir, &cp);
	if (rc == LETHE_OK && seq)
		*seq = cp.audit_seq;
	if (st->in_tx)
		lt_tx_rollback(st);
	lt_audit_checkpoint_free(&cp);
	return rc;
}
