/* checkpoint.c - audit checkpoints: signed statements of the audit chain's head, append-only,
 * each row with its MAC; a full listing checks the table against its digest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

#define CP_COLS    "seq, audit_seq, audit_mac, time, json, sig, mac"
#define CP_COL_MAC 6

static const struct lt_sq sq_cp_insert = {SQ_CP_INSERT, "checkpoint insert",
					  "INSERT INTO checkpoints (" CP_COLS
					  ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"};
static const struct lt_sq sq_cp_next = {SQ_CP_NEXT, "checkpoint insert",
					"SELECT coalesce(max(seq), 0) + 1 FROM checkpoints"};
static const struct lt_sq sq_cp_page = {SQ_CP_PAGE, "checkpoint list",
					"SELECT " CP_COLS
					" FROM checkpoints WHERE seq > ?1 ORDER BY seq LIMIT ?3"};

/* The columns; json points into the statement. */
static void cp_cols(struct lt_sq_query *q, struct lt_db_checkpoint *cp)
{
	memset(cp, 0, sizeof(*cp));
	cp->seq = (uint64_t) lt_sq_get_range(q, 0, 1, INT64_MAX);
	cp->audit_seq = (uint64_t) lt_sq_get_range(q, 1, 0, INT64_MAX);
	lt_sq_get_blob(q, 2, cp->audit_mac, sizeof(cp->audit_mac), NULL);
	cp->time = lt_sq_get_int(q, 3);
	cp->json = lt_sq_peek_blob(q, 4, &cp->json_len);
	lt_sq_get_blob(q, 5, cp->sig, sizeof(cp->sig), NULL);
}

static void cp_encode(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap)
{
	struct lt_db_checkpoint cp;

	cp_cols(q, &cp);
	snprintf(key, keycap, "%llu", (unsigned long long) cp.seq);
	lt_rowenc_checkpoint(e, &cp);
}

const struct lt_sq_table lt_sq_cp_table =
    LT_SQ_TABLE(LT_ROW_CHECKPOINTS, "checkpoints", CP_COLS, CP_COL_MAC, cp_encode);

static void cp_encode_new(struct lt_rowenc *e, const void *row, uint64_t seq)
{
	struct lt_db_checkpoint cp = *(const struct lt_db_checkpoint *) row;

	cp.seq = seq;
	lt_rowenc_checkpoint(e, &cp);
}

static void cp_bind(struct lt_sq_query *q, const void *row)
{
	const struct lt_db_checkpoint *cp = row;

	lt_sq_int(q, 2, (int64_t) cp->audit_seq);
	lt_sq_blob(q, 3, cp->audit_mac, sizeof(cp->audit_mac));
	lt_sq_int(q, 4, cp->time);
	lt_sq_blob(q, 5, cp->json, cp->json_len);
	lt_sq_blob(q, 6, cp->sig, sizeof(cp->sig));
}

static const struct lt_sq_append cp_append = {.next = &sq_cp_next,
					      .insert = &sq_cp_insert,
					      .table = LT_ROW_CHECKPOINTS,
					      .mac_param = 7,
					      .encode = cp_encode_new,
					      .bind = cp_bind};

static enum lethe_err cp_insert_row(struct lt_db *db, const struct lt_db_checkpoint *cp)
{
	uint64_t seq = 0;

	return lt_sq_append(db, &cp_append, cp, &seq);
}

enum lethe_err lt_db_checkpoint_insert(struct lt_db *db, const struct lt_db_checkpoint *cp)
{
	bool own;
	enum lethe_err rc;

	if (!cp->json || cp->json_len == 0 || cp->audit_seq > INT64_MAX)
		return lt_err(LETHE_ERR_INVALID, "audit checkpoint has no content");
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, cp_insert_row(db, cp));
}

static void cp_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	struct lt_db_checkpoint *cp = row;
	uint8_t mac[LT_ROWMAC_LEN];
	bool present = false;

	cp_cols(q, cp);
	lt_sq_row_check(q, &lt_sq_cp_table, mac, &present);
	lt_sq_keep_blob(q, &cp->json, cp->json_len, "checkpoint list");
	lt_sq_tally_add(p->ctx, mac, present);
	p->pos = (int64_t) cp->seq;
}

static void cp_release(void *row)
{
	free((void *) ((struct lt_db_checkpoint *) row)->json);
}

enum lethe_err lt_db_checkpoint_list(struct lt_db *db, lt_db_checkpoint_fn fn, void *ctx)
{
	struct lt_sq_pager p;

	lt_sq_pager_init(&p, &sq_cp_page, sizeof(struct lt_db_checkpoint), cp_row,
			 LT_SQ_CHECKPOINTS, ctx);
	p.fn.checkpoint = fn;
	p.release = cp_release;
	return lt_sq_page_whole(db, &p, LT_ROW_CHECKPOINTS);
}
