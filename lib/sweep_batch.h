/* sweep_batch.h - what sweep.c hands sweep_batch.c: a batch of candidate rows, the state of
 * one sweep, and the batch's transaction. */
#ifndef LT_LIB_SWEEP_BATCH_H
#define LT_LIB_SWEEP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "include/lethe.h"
#include "lib/internal.h"
#include "store/db.h"
#include "store/unlinker.h"

struct sweep_batch {
	struct lt_db_object *rows;
	size_t n, cap;
	enum lethe_err rc;
};

struct sweep_state {
	struct lethe_store *st;
	int dry_run;
	lethe_sweep_fn fn;
	void *ctx;
	struct lethe_sweep_result *res;
	int64_t now;
	/* the files of the last committed batch, deleted beside the next batch (store/unlinker.h) */
	struct lt_unlinker *unl;
	uint64_t unlinks_left; /* files still queued at the end */
	/* rows that failed their check: reported, not shredded; the sweep goes on without them
	 * and ends LETHE_ERR_INTEGRITY */
	uint64_t bad_rows;
	char first_bad[512];
};

/* lt_db_object_expired()'s callback: one candidate into the batch (1: the batch is full). */
int lt_sweep_collect(const struct lt_db_object *obj, void *vctx);

/* Tell the caller's callback, if any, of @p ev on object @p id. */
void lt_sweep_event(struct sweep_state *s, enum lethe_sweep_event ev, const char *id,
		    const char *detail);

/*
 * Handle one batch in one transaction. Each row is read again inside the transaction: another
 * sweeper may have shredded it, or a hold may have arrived, since the batch was listed. Events
 * for shredded objects are reported only once their transaction committed.
 */
enum lethe_err lt_sweep_batch(struct sweep_state *s, struct sweep_batch *b);

#endif
