/* shred.c - crypto-shredding: one shred (rm, and each of a sweep's), and the unlinks after it.
 *
 * A shred is one transaction: the wrapped DEK is set to NULL (secure_delete zeroes the freed
 * bytes), the row marked shredded and queued for unlink, the signed certificate and the audit
 * record appended. The ciphertext is unlinked after the commit; a crash in between leaves the
 * id in pending_unlinks, which the next open finishes. Without its DEK the ciphertext, and
 * every copy of it in backups, is noise: that is the erase.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/timeutil.h"
#include "lib/internal.h"
#include "retention/cert.h"
#include "retention/policy.h"
#include "store/db.h"
#include "store/objfile.h"

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
	    .actor_uid = st->uid,
	    .actor_user = st->user,
	    .actor_keyslot = st->who.name,
	    .host = st->host,
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
		rc = lt_db_object_shred(st->db, obj->id, now);
	if (rc == LETHE_OK)
		rc = lt_cert_issue(obj, &d, st->evidence_signer, &cert);
	if (rc == LETHE_OK)
		rc = lt_db_cert_insert(st->db, &cert, &seq);
	ev.error = forced ? "forced early shred by officer" : text;
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &ev);
	if (rc == LETHE_OK && cert_id)
		memcpy(cert_id, cert.id, LETHE_ID_LEN + 1);
	free((void *) cert.json);
	return rc;
}

struct unlink_ctx {
	struct lethe_store *st;
	char (*ids)[LETHE_ID_LEN + 1];
	size_t n, cap;
	enum lethe_err rc;
};

static int collect_unlink(const char *id, void *vctx)
{
	struct unlink_ctx *u = vctx;

	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 64;
		void *p = realloc(u->ids, cap * sizeof(*u->ids));

		if (!p) {
			u->rc = LETHE_ERR_NOMEM;
			return 1;
		}
		u->ids = p;
		u->cap = cap;
	}
	lt_strlcpy(u->ids[u->n++], id, LETHE_ID_LEN + 1);
	return 0;
}

/* Dequeue, in one transaction, the files of @p ids whose @p errnos entry is 0 (gone, durably). */
static enum lethe_err dequeue_gone(struct lethe_store *st, const char (*ids)[LETHE_ID_LEN + 1],
				   const int *errnos, size_t n, size_t *done)
{
	enum lethe_err rc;
	size_t i, count = 0;

	rc = lt_db_begin(st->db);
	for (i = 0; rc == LETHE_OK && i < n; i++) {
		if (errnos[i] != 0)
			continue;
		rc = lt_db_unlink_done(st->db, ids[i]);
		count++;
	}
	if (rc == LETHE_OK)
		rc = lt_db_commit(st->db);
	else
		lt_db_rollback(st->db);
	if (rc == LETHE_OK && done)
		*done = count;
	return rc;
}

enum lethe_err lt_finish_unlinks(struct lethe_store *st, lt_unlink_left_fn left, void *ctx,
				 size_t *done)
{
	struct unlink_ctx u = {st, NULL, 0, 0, LETHE_OK};
	int *errnos = NULL;
	size_t gone = 0, i, first = SIZE_MAX;
	char why[512];
	enum lethe_err rc;

	if (done)
		*done = 0;
	rc = lt_db_unlink_pending(st->db, collect_unlink, &u);
	if (rc == LETHE_OK)
		rc = u.rc;
	if (rc != LETHE_OK || u.n == 0)
		goto out;
	errnos = calloc(u.n, sizeof(*errnos));
	if (!errnos) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	/* Every file is tried: one that cannot be unlinked stays queued on its own. One file (rm):
	 * unlink it and fsync its directory. More (sweeps, recovery): unlink them several at a
	 * time, then one syncfs() makes them all durable, instead of one directory fsync (a disk
	 * cache flush) per file. Rows leave pending_unlinks only after that. */
	errnos[0] = lt_obj_unlink_try(st->dir, u.ids[0]);
	gone = errnos[0] == 0;
	if (u.n > 1) {
		LT_FAULT("shred.mid_unlink"); /* some files unlinked, the rest not yet */
		gone += lt_obj_unlink_many(st->dir, (const char(*)[LETHE_ID_LEN + 1])(u.ids + 1),
					   u.n - 1, errnos + 1);
	}
	LT_FAULT("shred.after_unlink"); /* files gone, still queued */
	if (gone && u.n == 1)
		rc = lt_obj_unlink(st->dir, u.ids[0]); /* gone already: fsyncs its directory */
	else if (gone)
		rc = lt_obj_unlinks_sync(st->dir);
	if (rc == LETHE_OK && gone)
		rc = dequeue_gone(st, (const char(*)[LETHE_ID_LEN + 1]) u.ids, errnos, u.n, done);
	if (rc != LETHE_OK) {
		/* nothing is known durable, or nothing was dequeued: every file stays queued */
		lt_strlcpy(why, lt_err_detail(), sizeof(why));
		for (i = 0; left && i < u.n; i++)
			left(u.ids[i], why, ctx);
		lt_err(rc, "%s", why);
		goto out;
	}
	for (i = 0; i < u.n; i++) {
		if (errnos[i] == 0)
			continue;
		if (first == SIZE_MAX)
			first = i;
		rc = lt_obj_unlink_error(st->dir, u.ids[i], errnos[i]);
		if (left)
			left(u.ids[i], lt_err_detail(), ctx);
	}
	if (first != SIZE_MAX) {
		/* the detail callers see is the first file's */
		rc = lt_obj_unlink_error(st->dir, u.ids[first], errnos[first]);
		lt_err_prefix("%zu file(s) of shredded objects could not be unlinked and stay "
			      "queued; the first",
			      u.n - gone);
	}
out:
	free(errnos);
	free(u.ids);
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

	rc = lt_live_row(st, id, row);
	if (rc == LETHE_OK)
		rc = lt_db_group_hold_get(st->db, row->group, &o.group_hold, NULL);
	if (rc != LETHE_OK)
		return rc;
	now = lt_now();
	rc = lt_retention_may_remove(&st->cfg, &o, now, force, st->officer, &forced);
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
	rc = lt_check_id(id);
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
		lt_finish_unlinks(st, NULL, NULL, NULL);
		lt_err_clear();
		if (cert_id_out)
			memcpy(cert_id_out, cert_id, sizeof(cert_id));
	}
out:
	if (rc != LETHE_OK && rc != LETHE_ERR_NOMEM) {
		char saved[1024];

		lt_strlcpy(saved, lt_err_detail(), sizeof(saved));
		lt_audit_record(st, &(struct lt_audit_event){.action = "rm",
							     .object = id,
							     .group = row->group,
							     .err = rc,
							     .error = saved});
	}
	free(row);
	return rc;
}
