/* unlinker.h - removing the files of shredded objects: the queue kept in the metadata
 * (lt_db_unlink_*), the deletes in the object store (lt_objstore_delete*), and the background
 * unlinker a sweep runs beside its next batch.
 *
 * A shred queues its object's file in the transaction that destroys the key; the file goes
 * after the commit, and leaves the queue only once its delete is known durable. A crash in
 * between leaves it queued: the next open finishes it (lt_unlinks_finish). The key is gone
 * already, so a file that cannot be deleted is noise: it is reported and stays queued, it does
 * not fail the shred.
 */
#ifndef LT_STORE_UNLINKER_H
#define LT_STORE_UNLINKER_H

#include <stdbool.h>
#include <stddef.h>

#include "include/lethe.h"
#include "store/db.h"
#include "store/objstore.h"

/*
 * Delete the files still queued (after a commit or a crash), make that durable, and dequeue
 * them in one transaction; *done (may be NULL) counts the files dequeued. Every file is tried:
 * one that cannot be deleted (a read-only or immutable directory, an I/O error) stays queued,
 * is retried by the next call (every open makes one), and is passed to @p left (when not NULL)
 * with the reason. Returns LETHE_OK when nothing is left queued, else the first reason. Runs
 * outside any transaction.
 */
typedef void (*lt_unlink_left_fn)(const char *id, const char *why, void *ctx);
enum lethe_err lt_unlinks_finish(struct lt_db *db, struct lt_objstore *os, lt_unlink_left_fn left,
				 void *ctx, size_t *done);

/*
 * The background unlinker: the files of the last committed batch are deleted (several at a
 * time) and synced by a thread while the caller shreds the next batch, since deletes and the
 * sync mostly wait for the disk and shredding mostly computes. They are dequeued in the next
 * batch's transaction, and only once the thread reported them gone and durable.
 */
struct lt_unlinker;

/* An unlinker for batches of up to @p cap files. */
enum lethe_err lt_unlinker_new(struct lt_objstore *os, size_t cap, struct lt_unlinker **out);

/* Waits for its thread. */
void lt_unlinker_free(struct lt_unlinker *u);

/* Begin the next batch (forgetting the last one, which must have been waited for), add the
 * file of object @p id to it (at most cap), and hand it to a thread. A batch the thread cannot
 * take stays queued for lt_unlinks_finish(). */
void lt_unlinker_clear(struct lt_unlinker *u);
void lt_unlinker_add(struct lt_unlinker *u, const char *id);
void lt_unlinker_start(struct lt_unlinker *u);

/* Wait for the thread. True when the files of its batch that went are durable. */
bool lt_unlinker_wait(struct lt_unlinker *u);

/*
 * Inside the caller's transaction: wait for the thread and, when the files that went are
 * durable, dequeue them, unless @p rc (the batch so far) already failed. Returns @p rc, or the
 * failure of a dequeue.
 */
enum lethe_err lt_unlinker_dequeue(struct lt_unlinker *u, struct lt_db *db, enum lethe_err rc);

#endif
