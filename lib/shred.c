/* shred.c - crypto-shredding: one shred (rm, and each of a sweep's), and the unlinks after it.
 *
 * A shred is one transaction: the wrapped DEK is destroyed (its bytes overwritten, store/db.h),
 * the row marked shredded and queued for unlink, the signed certificate and the audit
 * record appended. The ciphertext is unlinked after the commit; a crash in between leaves the
 * id in pending_unlinks, which the next open finishes (store/unlinker.h). Without its DEK the
 * ciphertext, and every copy of it in backups, is noise: that is the erase.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/fault.h"
#include "common/timeutil.h"
#include "lib/internal.h"
#include "retention/cert.h"
#include "retention/policy.h"
#include "store/db.h"
#include "store/unlinker.h"

enum lethe_err lt_shred_in_tx(struct lethe_store *st, const struct lt_db_object *obj, int64_t now,
			      const char *action, const char *reason, const char *text, bool forced,
			      char cert_id[LETHE_ID_LEN + 1])
{
	struct lt_audit_event ev = {.action = action, .object = obj->id, .group = obj->group};
	struct lt_cert_disposal d = {
	    .store_id = st->store_id,
	    .cfg = &st->cfg,
	    .reason = reason,
	    .reason_text = text,
	    .forced = forced,
	    .shredded_at = now,
	    .actor_uid = st->actor.uid,
	    .actor_user = st->actor.user,
	    .actor_keyslot = st->actor.keyslot,
	    .host = st->actor.host,
	    .tool_version = LETHE_VERSION_STRING,
	};
	struct lt_db_cert cert = {0};
	uint8_t prev_sha256[32];
	uint64_t seq;
	enum lethe_err rc;

	rc = lt_evidence_key_load(st);
	if (rc == LETHE_OK)
		rc = lt_db_cert_last(st->db, &d.prev_seq, prev_sha256);
	d.prev_sha256 = prev_sha256;
	if (rc == LETHE_OK)
		rc = lt_db_object_shred_row(st->db, obj, now);
	if (rc == LETHE_OK)
		rc = lt_cert_issue(obj, &d, st->evidence_signer, &cert);
	if (rc == LETHE_OK)
		rc = lt_db_cert_insert(st->db, &cert, &seq);
	if (rc == LETHE_OK)
		lt_audit_note_cert(st, seq, cert.sha256);
	ev.error = forced ? "forced early shred by officer" : text;
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &ev);
	if (rc == LETHE_OK && cert_id)
		memcpy(cert_id, cert.id, LETHE_ID_LEN + 1);
	free((void *) cert.json);
	return rc;
}

enum lethe_err lt_live_row(struct lethe_store *st, const char *id, struct lt_db_object *row)
{
	enum lethe_err rc = lt_db_object_get(st->db, id, row);

	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_NOT_FOUND, "no such object");
	if (rc == LETHE_OK && row->state == LETHE_STATE_SHREDDED)
		return lt_err(LETHE_ERR_SHREDDED, "object was already crypto-shredded");
	return rc;
}

static enum lethe_err rm_in_tx(struct lethe_store *st, const char *id, const char *reason,
			       bool force, struct lt_db_object *row, char *cert_id)
{
	struct lt_retention_object o = {.row = row};
	int64_t now;
	bool forced;
	enum lethe_err rc;

	rc = lt_rows_precheck(st);
	if (rc == LETHE_OK)
		rc = lt_live_row(st, id, row);
	if (rc == LETHE_OK)
		rc = lt_db_group_hold_get(st->db, row->group, &o.group_hold, NULL);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_clock_for_shred(st, "rm", &now);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_retention_may_remove(&st->cfg, &o, now, force, st->officer, &forced);
	if (rc != LETHE_OK)
		return rc;
	/* an officer's forced removal overrides a retention promise, not the log's word on what
	 * the promise is: a row less protective than the log is refused before anything */
	rc = lt_shred_log_check(st, row, o.group_hold);
	if (rc != LETHE_OK)
		return rc;
	return lt_shred_in_tx(st, row, now, "rm", "manual", reason, forced, cert_id);
}

LETHE_API enum lethe_err lethe_object_rm(struct lethe_store *st, const char *id, const char *reason,
					 int force, char cert_id_out[LETHE_ID_LEN + 1])
{
	struct lt_db_object *row;
	char cert_id[LETHE_ID_LEN + 1] = "";
	enum lethe_err rc;

	lt_err_clear();
	if (cert_id_out)
		memset(cert_id_out, 0, LETHE_ID_LEN + 1);
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_uuid_check(id);
	if (rc != LETHE_OK)
		return rc;
	if (!reason || !*reason)
		return lt_err(LETHE_ERR_INVALID, "a reason is required (--reason TEXT)");
	if (strlen(reason) > LETHE_REASON_MAX)
		return lt_err(LETHE_ERR_INVALID, "reason longer than %d bytes", LETHE_REASON_MAX);
	row = calloc(1, sizeof(*row));
	if (!row)
		return LETHE_ERR_NOMEM;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	rc = rm_in_tx(st, id, reason, force != 0, row, cert_id);
	if (rc == LETHE_OK) {
		LT_FAULT("rm.before_commit");
		rc = lt_tx_commit(st);
	} else {
		lt_tx_rollback(st);
	}
	if (rc == LETHE_OK) {
		LT_FAULT("rm.after_commit");
		/* the shred is done; a file left is retried by the next open, reported by doctor */
		lt_unlinks_finish(st->db, st->objs, NULL, NULL, NULL);
		/* old pages of the WAL still hold the wrapped key just destroyed, and stay there
		 * while any other connection (the file service) keeps the database open: copy
		 * them back now, as a sweep does. Best effort: the shred has committed. */
		(void) lt_db_purge(st->db);
		lt_err_clear();
		if (cert_id_out)
			memcpy(cert_id_out, cert_id, sizeof(cert_id));
	}
out:
	/* a clock refusal went to syslog: a record stamped by that clock would mislead the next
	 * check (clock.c) */
	if (rc != LETHE_OK && rc != LETHE_ERR_NOMEM && rc != LETHE_ERR_CLOCK) {
		struct lt_err_saved saved;

		lt_audit_record(st, &(struct lt_audit_event){.action = "rm",
							     .object = id,
							     .group = row->group,
							     .err = rc,
							     .error = lt_err_save(&saved)});
	}
	free(row);
	return rc;
}
