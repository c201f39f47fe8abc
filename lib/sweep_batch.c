/* sweep_batch.c - one batch of the retention sweep in one transaction: each candidate read
 * again, retention/ decides, the row held to the audit log, then shredded; the previous
 * batch's unlinked files dequeued, and this batch's handed to the unlinker once committed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/fault.h"
#include "lib/internal.h"
#include "lib/sweep_batch.h"
#include "retention/policy.h"
#include "store/db.h"
#include "store/unlinker.h"

int lt_sweep_collect(const struct lt_db_object *obj, void *vctx)
{
	struct sweep_batch *b = vctx;

	if (b->n == b->cap)
		return 1;
	b->rows[b->n++] = *obj;
	return 0;
}

void lt_sweep_event(struct sweep_state *s, enum lethe_sweep_event ev, const char *id,
		    const char *detail)
{
	if (s->fn)
		s->fn(ev, id, detail, s->ctx);
}

/* A row that cannot be trusted: never shredded, reported with why. */
static void sweep_bad_row(struct sweep_state *s, const char *id, const char *detail)
{
	if (!s->bad_rows++)
		lt_strlcpy(s->first_bad, detail, sizeof(s->first_bad));
	s->res->failed++;
	lt_sweep_event(s, LETHE_SWEEP_FAILED, id, detail);
}

enum lethe_err lt_sweep_batch(struct sweep_state *s, struct sweep_batch *b)
{
	struct lethe_store *st = s->st;
	struct lt_db_object *cur = NULL;
	struct lt_retention_object o;
	char group_reason[LETHE_REASON_MAX + 1], reason[LETHE_REASON_MAX + 32];
	bool *shred = NULL;
	size_t i, shredded = 0;
	enum lt_sweep_action action;
	enum lethe_err rc = LETHE_OK;

	cur = calloc(1, sizeof(*cur));
	shred = calloc(b->n, sizeof(*shred));
	if (!cur || !shred) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	if (!s->dry_run) {
		rc = lt_tx_begin(st);
		if (rc != LETHE_OK)
			goto out;
	}
	for (i = 0; rc == LETHE_OK && i < b->n; i++) {
		if (b->rows[i].bad != LETHE_OK) {
			sweep_bad_row(s, b->rows[i].id, b->rows[i].bad_detail);
			continue;
		}
		rc = lt_db_object_get(st->db, b->rows[i].id, cur);
		if (rc == LETHE_ERR_INTEGRITY || rc == LETHE_ERR_DATABASE) {
			sweep_bad_row(s, b->rows[i].id, lt_err_detail());
			lt_err_clear();
			rc = LETHE_OK;
			continue;
		}
		if (rc == LETHE_OK)
			rc = lt_db_group_hold_get(st->db, cur->group, &o.group_hold, group_reason);
		if (rc != LETHE_OK)
			break;
		o.row = cur;
		o.group_hold_reason = group_reason;
		action = lt_retention_sweep_action(&o, s->now);
		if (action == LT_SWEEP_KEEP)
			continue;
		if (action == LT_SWEEP_HELD) {
			lt_retention_hold_reason(&o, reason, sizeof(reason));
			s->res->held++;
			lt_sweep_event(s, LETHE_SWEEP_HELD, cur->id, reason);
			continue;
		}
		/* the row must agree with the log before its object is destroyed: a rolled-back
		 * or rewritten row costs its own object, like a row failing its MAC */
		rc = lt_shred_log_check(st, cur, o.group_hold);
		if (rc == LETHE_ERR_INTEGRITY) {
			sweep_bad_row(s, cur->id, lt_err_detail());
			lt_err_clear();
			rc = LETHE_OK;
			continue;
		}
		if (rc != LETHE_OK)
			break;
		if (!s->dry_run) {
			rc = lt_shred_in_tx(st, cur, s->now, "sweep.shred", "retention-expired",
					    NULL, false, NULL);
			if (rc != LETHE_OK)
				break;
		}
		shred[i] = true;
		shredded++;
	}
	/* the previous batch's files are gone and durable: dequeue them in this transaction */
	if (!s->dry_run)
		rc = lt_unlinker_dequeue(s->unl, st->db, rc);
	if (!s->dry_run) {
		if (rc == LETHE_OK) {
			LT_FAULT("sweep.before_commit");
			rc = lt_tx_commit(st);
		} else {
			lt_tx_rollback(st);
		}
	}
	if (rc != LETHE_OK)
		goto out;
	LT_FAULT("sweep.after_commit");
	lt_unlinker_clear(s->unl);
	for (i = 0; i < b->n; i++) {
		if (!shred[i])
			continue;
		lt_sweep_event(s, LETHE_SWEEP_SHREDDED, b->rows[i].id, NULL);
		lt_unlinker_add(s->unl, b->rows[i].id);
	}
	s->res->shredded += shredded;
	if (!s->dry_run)
		lt_unlinker_start(s->unl);
out:
	free(shred);
	free(cur);
	return rc;
}
