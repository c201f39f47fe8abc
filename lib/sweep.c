/* sweep.c - the retention sweep: every object retention says is due, shredded in batches.
 *
 * The store lists candidates by its expired-objects index; each batch is one transaction
 * (sweep_batch.c) in which every row is read again and retention/ decides
 * (lt_retention_sweep_action): another sweeper may have shredded it, or a hold or an extension
 * may have come, since the listing. Each shred is lt_shred_in_tx(); the files of a committed
 * batch are unlinked in the background while the next one is shredded.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/timeutil.h"
#include "lib/internal.h"
#include "lib/sweep_batch.h"
#include "retention/policy.h"
#include "store/db.h"
#include "store/unlinker.h"

static void sweep_unlink_left(const char *id, const char *why, void *ctx)
{
	struct sweep_state *s = ctx;

	s->unlinks_left++;
	lt_sweep_event(s, LETHE_SWEEP_UNLINK_PENDING, id, why);
}

static enum lethe_err sweep_run(struct sweep_state *s)
{
	struct lethe_store *st = s->st;
	struct sweep_batch b;
	int64_t after_until = INT64_MIN;
	char after_id[LETHE_ID_LEN + 1] = "";
	uint64_t seen = 0;
	enum lethe_err rc = LETHE_OK;

	memset(&b, 0, sizeof(b));
	b.cap = st->cfg.sweep_batch ? st->cfg.sweep_batch : 500;
	b.rows = calloc(b.cap, sizeof(*b.rows));
	if (!b.rows || lt_unlinker_new(st->objs, b.cap, &s->unl) != LETHE_OK) {
		free(b.rows);
		return LETHE_ERR_NOMEM;
	}
	for (;;) {
		/* each batch decides, and its certificates say, the time it runs at (a long sweep
		 * spans minutes), read again and checked against the kernel's */
		if (seen > 0 && !st->read_only) {
			int64_t now;

			rc = lt_clock_now(st, "sweep", &now);
			if (rc != LETHE_OK)
				break;
			if (now > s->now)
				s->now = now;
		}
		b.n = 0;
		rc = lt_db_object_expired(st->db, s->now, after_until, after_id, b.cap,
					  lt_sweep_collect, &b);
		if (rc != LETHE_OK || b.n == 0)
			break;
		after_until = b.rows[b.n - 1].retain_until;
		lt_strlcpy(after_id, b.rows[b.n - 1].id, sizeof(after_id));
		rc = lt_sweep_batch(s, &b);
		if (rc != LETHE_OK) {
			s->res->failed += b.n;
			lt_sweep_event(s, LETHE_SWEEP_FAILED, b.rows[0].id, lt_err_detail());
			break;
		}
		seen += b.n;
		lt_progress(st, "sweep", seen, 0);
	}
	/* The last batch's files (and any a failure left queued): unlinked, synced, dequeued.
	 * The shreds are done (the keys are gone): a file that cannot be unlinked is reported and
	 * stays queued for the next open, it does not fail the sweep. */
	(void) lt_unlinker_wait(s->unl);
	if (!s->dry_run) {
		struct lt_err_saved saved;

		lt_err_save(&saved);
		(void) lt_unlinks_finish(st->db, st->objs, sweep_unlink_left, s, NULL);
		if (rc != LETHE_OK)
			lt_err_restore(&saved, rc);
		else
			lt_err_clear();
	}
	lt_unlinker_free(s->unl);
	free(b.rows);
	return rc;
}

LETHE_API enum lethe_err lethe_sweep(struct lethe_store *st, int dry_run, lethe_sweep_fn fn,
				     void *ctx, struct lethe_sweep_result *result)
{
	struct lethe_sweep_result res = {0, 0, 0};
	struct sweep_state s = {.st = st, .dry_run = dry_run, .fn = fn, .ctx = ctx, .res = &res};
	char summary[160];
	enum lethe_err rc, rc2;

	lt_err_clear();
	if (result)
		memset(result, 0, sizeof(*result));
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	/* a sweep writes (shreds, the unlink queue, the checkpoint at the end); --dry-run reads */
	if (!dry_run && st->read_only)
		return lt_store_writable(st);
	/* T3: never decided by a clock earlier than the log, or one the kernel disagrees with (a
	 * dry run on a read-only store, which cannot ask the kernel, only shows) */
	if (dry_run && st->read_only) {
		s.now = lt_now();
	} else {
		rc = lt_clock_for_shred(st, "sweep", &s.now);
		if (rc != LETHE_OK)
			goto out;
	}
	/* the tables the shreds depend on are as lethe wrote them, or nothing is shredded (read
	 * in one transaction: one consistent view) */
	if (st->read_only) {
		rc = lt_rows_precheck(st); /* a dry run: nothing else writes a read-only store */
	} else {
		rc = lt_tx_begin(st);
		if (rc == LETHE_OK) {
			rc = lt_rows_precheck(st);
			lt_tx_rollback(st);
		}
	}
	if (rc != LETHE_OK)
		goto audit;
	/* purge once at the end (below), not after every batch */
	if (!dry_run)
		lt_db_bulk(st->db, true);
	rc = sweep_run(&s);
	lt_db_bulk(st->db, false);
	if (rc == LETHE_OK && s.bad_rows)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%llu object row(s) failed their check and were not shredded; the "
			    "first: %s",
			    (unsigned long long) s.bad_rows, s.first_bad);
audit:
	if (dry_run)
		goto out;
	snprintf(summary, sizeof(summary), "shredded %llu, held %llu, failed %llu%s",
		 (unsigned long long) res.shredded, (unsigned long long) res.held,
		 (unsigned long long) res.failed,
		 s.unlinks_left ? ", files left to unlink (see doctor)" : "");
	{
		struct lt_err_saved saved;

		rc2 = lt_audit_record(st,
				      &(struct lt_audit_event){
					  .action = "sweep",
					  .err = rc,
					  .error = rc == LETHE_OK ? summary : lt_err_save(&saved)});
		if (rc == LETHE_OK)
			rc = rc2;
	}
	if (rc != LETHE_OK) {
		/* what was shredded before the failure must not stay in old pages either (the
		 * bulk mode let more of them wait); the failure's detail stays */
		if (res.shredded) {
			struct lt_err_saved saved;

			lt_err_save(&saved);
			(void) lt_db_purge(st->db);
			lt_err_restore(&saved, rc);
		}
		goto out;
	}
	rc = lethe_audit_checkpoint(st, NULL, NULL);
	LT_FAULT("sweep.before_checkpoint");
	/* old versions of the rows still hold the wrapped keys just destroyed */
	if (rc == LETHE_OK && res.shredded)
		rc = lt_db_purge(st->db);
out:
	if (result)
		*result = res;
	return rc;
}
