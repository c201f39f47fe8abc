/* unlink.c - pending_unlinks: the files of shredded objects not yet unlinked. A shred queues
 * its file in its own transaction; the unlinker (store/unlinker.c) dequeues it once gone. */
#include <string.h>

#include "store/sqlite/sqlite.h"

static const struct lt_sq sq_unlink_add = {
    SQ_UNLINK_ADD, "object shred",
    "INSERT INTO pending_unlinks (id) VALUES (?1) ON CONFLICT DO NOTHING"};
static const struct lt_sq sq_unlink_page = {
    SQ_UNLINK_PAGE, "pending unlinks",
    /* only files of rows that are shredded, key and all: a queued id is a request anyone who
     * can write the file could forge, and unlinking a live object's file loses it */
    "SELECT p.id FROM pending_unlinks p JOIN objects o ON o.id = p.id WHERE p.id > ?2 "
    "AND o.state = 1 AND o.wrapped_dek IS NULL ORDER BY p.id LIMIT ?3"};
static const struct lt_sq sq_unlink_done = {SQ_UNLINK_DONE, "unlink done",
					    "DELETE FROM pending_unlinks WHERE id = ?1"};

enum lethe_err lt_sq_unlink_queue(struct lt_db *db, const char *id)
{
	return lt_sq_run_text(db, &sq_unlink_add, id, LETHE_ID_LEN + 1);
}

static void id_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	lt_sq_get_text(q, 0, row, LETHE_ID_LEN + 1);
	memcpy(p->pos_id, row, sizeof(p->pos_id));
}

enum lethe_err lt_db_unlink_pending(struct lt_db *db, lt_db_id_fn fn, void *ctx)
{
	struct lt_sq_pager p;

	lt_sq_pager_init(&p, &sq_unlink_page, LETHE_ID_LEN + 1, id_row, LT_SQ_IDS, ctx);
	p.fn.id = fn;
	return lt_sq_page(db, &p);
}

enum lethe_err lt_db_unlink_done(struct lt_db *db, const char *id)
{
	return lt_sq_run_text(db, &sq_unlink_done, id, LETHE_ID_LEN + 1);
}
