/* unlinker.c - the files of shredded objects deleted after their commit, durably, then
 * dequeued; in the foreground (rm, recovery, the end of a sweep) or beside a sweep's next
 * batch. */
#include "store/unlinker.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"

typedef char lt_id[LETHE_ID_LEN + 1];

/* ---------------------------------------------------------------------------------------- */
/* In the foreground                                                                        */

struct queued {
	lt_id *ids;
	size_t n, cap;
	enum lethe_err rc;
};

static int collect(const char *id, void *vctx)
{
	struct queued *q = vctx;

	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		void *p = realloc(q->ids, cap * sizeof(*q->ids));

		if (!p) {
			q->rc = LETHE_ERR_NOMEM;
			return 1;
		}
		q->ids = p;
		q->cap = cap;
	}
	snprintf(q->ids[q->n++], sizeof(lt_id), "%s", id);
	return 0;
}

/* Dequeue, in one transaction, the files of @p ids whose @p errs entry is 0 (gone, durably). */
static enum lethe_err dequeue_gone(struct lt_db *db, const lt_id *ids, const int *errs, size_t n,
				   size_t *done)
{
	enum lethe_err rc;
	size_t i, count = 0;

	rc = lt_db_begin(db);
	for (i = 0; rc == LETHE_OK && i < n; i++) {
		if (errs[i] != 0)
			continue;
		rc = lt_db_unlink_done(db, ids[i]);
		count++;
	}
	if (rc == LETHE_OK)
		rc = lt_db_commit(db);
	else
		lt_db_rollback(db);
	if (rc == LETHE_OK && done)
		*done = count;
	return rc;
}

/* The files left queued, each with its reason; the detail callers see is the first's. */
static enum lethe_err report_left(struct lt_objstore *os, const struct queued *q, const int *errs,
				  size_t gone, lt_unlink_left_fn left, void *ctx)
{
	size_t i, first = SIZE_MAX;
	enum lethe_err rc = LETHE_OK;

	for (i = 0; i < q->n; i++) {
		if (errs[i] == 0)
			continue;
		if (first == SIZE_MAX)
			first = i;
		rc = lt_objstore_delete_error(os, q->ids[i], errs[i]);
		if (left)
			left(q->ids[i], lt_err_detail(), ctx);
	}
	if (first != SIZE_MAX) {
		rc = lt_objstore_delete_error(os, q->ids[first], errs[first]);
		lt_err_prefix("%zu file(s) of shredded objects could not be unlinked and stay "
			      "queued; the first",
			      q->n - gone);
	}
	return rc;
}

enum lethe_err lt_unlinks_finish(struct lt_db *db, struct lt_objstore *os, lt_unlink_left_fn left,
				 void *ctx, size_t *done)
{
	struct queued q = {NULL, 0, 0, LETHE_OK};
	int *errs = NULL;
	size_t gone = 0, i;
	char why[512];
	enum lethe_err rc;

	if (done)
		*done = 0;
	rc = lt_db_unlink_pending(db, collect, &q);
	if (rc == LETHE_OK)
		rc = q.rc;
	if (rc != LETHE_OK || q.n == 0)
		goto out;
	errs = calloc(q.n, sizeof(*errs));
	if (!errs) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	/* One file (rm): delete it and make that durable on its own (files: fsync its
	 * directory). More (sweeps, recovery): several at a time, then one sync for all (files:
	 * one syncfs instead of a disk cache flush per file). Rows leave the queue only after. */
	gone = lt_objstore_delete_many(os, q.ids, 1, errs);
	if (q.n > 1) {
		LT_FAULT("shred.mid_unlink"); /* some files unlinked, the rest not yet */
		gone += lt_objstore_delete_many(os, q.ids + 1, q.n - 1, errs + 1);
	}
	LT_FAULT("shred.after_unlink"); /* files gone, still queued */
	if (gone && q.n == 1)
		rc = lt_objstore_delete(os, q.ids[0]); /* gone already: makes it durable */
	else if (gone)
		rc = lt_objstore_delete_sync(os);
	if (rc == LETHE_OK && gone)
		rc = dequeue_gone(db, q.ids, errs, q.n, done);
	if (rc != LETHE_OK) {
		/* nothing is known durable, or nothing was dequeued: every file stays queued */
		snprintf(why, sizeof(why), "%s", lt_err_detail());
		for (i = 0; left && i < q.n; i++)
			left(q.ids[i], why, ctx);
		lt_err(rc, "%s", why);
		goto out;
	}
	rc = report_left(os, &q, errs, gone, left, ctx);
out:
	free(errs);
	free(q.ids);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Beside a sweep                                                                           */

struct lt_unlinker {
	struct lt_objstore *os;
	lt_id *ids;
	int *errs; /* per file: 0 once gone, else why not (it stays queued) */
	size_t n, cap;
	bool running;
	pthread_t thread;
	enum lethe_err rc; /* the sync of the files that went */
};

enum lethe_err lt_unlinker_new(struct lt_objstore *os, size_t cap, struct lt_unlinker **out)
{
	struct lt_unlinker *u = calloc(1, sizeof(*u));

	*out = NULL;
	if (u) {
		u->ids = calloc(cap ? cap : 1, sizeof(*u->ids));
		u->errs = calloc(cap ? cap : 1, sizeof(*u->errs));
	}
	if (!u || !u->ids || !u->errs) {
		lt_unlinker_free(u);
		return LETHE_ERR_NOMEM;
	}
	u->os = os;
	u->cap = cap;
	*out = u;
	return LETHE_OK;
}

void lt_unlinker_free(struct lt_unlinker *u)
{
	if (!u)
		return;
	(void) lt_unlinker_wait(u);
	free(u->errs);
	free(u->ids);
	free(u);
}

static void *unlinker_main(void *arg)
{
	struct lt_unlinker *u = arg;
	size_t gone;

	gone = lt_objstore_delete_many(u->os, u->ids, 1, u->errs);
	LT_FAULT("shred.mid_unlink"); /* some files unlinked, the rest not yet */
	gone += lt_objstore_delete_many(u->os, u->ids + 1, u->n - 1, u->errs + 1);
	u->rc = gone ? lt_objstore_delete_sync(u->os) : LETHE_OK;
	return NULL;
}

void lt_unlinker_clear(struct lt_unlinker *u)
{
	u->n = 0;
}

void lt_unlinker_add(struct lt_unlinker *u, const char *id)
{
	if (u->n < u->cap)
		snprintf(u->ids[u->n++], sizeof(lt_id), "%s", id);
}

/* The thread takes no signal: they belong to the caller's threads. */
void lt_unlinker_start(struct lt_unlinker *u)
{
	sigset_t all, old;

	if (u->n == 0 || u->running)
		return;
	u->rc = LETHE_OK;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	u->running = pthread_create(&u->thread, NULL, unlinker_main, u) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

bool lt_unlinker_wait(struct lt_unlinker *u)
{
	if (!u->running)
		return false;
	pthread_join(u->thread, NULL);
	u->running = false;
	return u->rc == LETHE_OK;
}

enum lethe_err lt_unlinker_dequeue(struct lt_unlinker *u, struct lt_db *db, enum lethe_err rc)
{
	if (!lt_unlinker_wait(u))
		return rc;
	LT_FAULT("shred.after_unlink"); /* files gone, still queued */
	for (size_t i = 0; rc == LETHE_OK && i < u->n; i++)
		if (u->errs[i] == 0)
			rc = lt_db_unlink_done(db, u->ids[i]);
	return rc;
}
