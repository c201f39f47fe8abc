/* unlink.c - pending_unlinks: the files of shredded objects not yet unlinked. A shred queues
 * its file in its own transaction; the unlinker (store/unlinker.c) dequeues it once gone.
 * A queued id is a request to destroy a file: it is acted on only when its row's MAC holds,
 * the table matches its digest, and the object's own row says shredded without a key. */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

static const struct lt_sq sq_unlink_add = {
    SQ_UNLINK_ADD, "object shred",
    "INSERT INTO pending_unlinks (id, mac) VALUES (?1, ?2) ON CONFLICT DO NOTHING"};
static const struct lt_sq sq_unlink_page = {
    SQ_UNLINK_PAGE, "pending unlinks",
    /* only files of rows that are shredded, key and all: a queued id is a request anyone who
     * can write the file could forge, and unlinking a live object's file loses it */
    "SELECT p.id, p.mac FROM pending_unlinks p JOIN objects o ON o.id = p.id WHERE p.id > ?2 "
    "AND o.state = 1 AND o.wrapped_dek IS NULL ORDER BY p.id LIMIT ?3"};
static const struct lt_sq sq_unlink_done = {
    SQ_UNLINK_DONE, "unlink done", "DELETE FROM pending_unlinks WHERE id = ?1 RETURNING mac"};

static void unlink_encode(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap)
{
	const unsigned char *id = sqlite3_column_text(q->st, 0);

	snprintf(key, keycap, "%s", id ? (const char *) id : "");
	lt_rowenc_unlink(e, key);
}

const struct lt_sq_table lt_sq_unlink_table =
    LT_SQ_TABLE(LT_ROW_PENDING_UNLINKS, "pending_unlinks", "id, mac", 1, unlink_encode);

enum lethe_err lt_sq_unlink_queue(struct lt_db *db, const char *id)
{
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool keyed = lt_sq_keyed(db);
	int64_t added = 0;
	enum lethe_err rc = LETHE_OK;

	if (keyed) {
		lt_rowenc_unlink(&e, id);
		rc = lt_sq_mac(db, &e, mac);
	}
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, &sq_unlink_add);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, id, LETHE_ID_LEN + 1);
	if (keyed)
		lt_sq_blob(&q, 2, mac, sizeof(mac));
	rc = lt_sq_exec(&q);
	if (rc == LETHE_OK)
		added = lt_sq_changes(&q);
	lt_sq_close(&q);
	if (rc == LETHE_OK && added)
		rc = lt_sq_digest_change(db, LT_ROW_PENDING_UNLINKS, NULL, keyed ? mac : NULL);
	return rc;
}

/* An id whose row fails its MAC is not delivered (nothing is unlinked for it); doctor reports
 * it. */
static void id_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	char *id = row;
	bool present = false;

	lt_sq_get_text(q, 0, id, LETHE_ID_LEN + 1);
	lt_sq_get_blob(q, 1, mac, sizeof(mac), &present);
	{
		const unsigned char *raw = sqlite3_column_text(q->st, 0);

		snprintf(p->pos_id, sizeof(p->pos_id), "%s", raw ? (const char *) raw : "");
	}
	if (q->err == LETHE_OK && lt_sq_keyed(q->db)) {
		lt_rowenc_unlink(&e, id);
		if (lt_sq_verify(q->db, LT_ROW_PENDING_UNLINKS, id, &e, mac, present) != LETHE_OK)
			id[0] = '\0';
		lt_err_clear();
	} else if (q->err != LETHE_OK && q->err != LETHE_ERR_NOMEM) {
		id[0] = '\0';
		q->err = LETHE_OK;
		lt_err_clear();
	}
}

static int id_deliver(struct lt_sq_pager *p, void *row)
{
	const char *id = row;

	return id[0] ? p->fn.id(id, p->fn_ctx) : 0;
}

enum lethe_err lt_db_unlink_pending(struct lt_db *db, lt_db_id_fn fn, void *ctx)
{
	struct lt_sq_pager p;
	enum lethe_err rc;

	/* a forged or replayed request changes the table's digest: then unlink nothing */
	rc = lt_sq_table_verify(db, LT_ROW_PENDING_UNLINKS);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_pager_init(&p, &sq_unlink_page, LETHE_ID_LEN + 1, id_row, LT_SQ_IDS, ctx);
	p.fn.id = fn;
	p.deliver = id_deliver;
	return lt_sq_page(db, &p);
}

static enum lethe_err unlink_done_rows(struct lt_db *db, const char *id)
{
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_sq_query q;
	bool row = false, present = false;
	enum lethe_err rc;

	rc = lt_sq_open(&q, db, &sq_unlink_done);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, id, LETHE_ID_LEN + 1);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row)
		lt_sq_get_blob(&q, 0, mac, sizeof(mac), &present);
	q.err = LETHE_OK;
	lt_sq_close(&q);
	if (rc == LETHE_OK && row)
		rc = lt_sq_digest_change(db, LT_ROW_PENDING_UNLINKS, present ? mac : NULL, NULL);
	return rc;
}

enum lethe_err lt_db_unlink_done(struct lt_db *db, const char *id)
{
	bool own;
	enum lethe_err rc;

	rc = lt_sq_call1_begin(db, LT_ROW_PENDING_UNLINKS, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call1_end(db, own, unlink_done_rows(db, id));
}
