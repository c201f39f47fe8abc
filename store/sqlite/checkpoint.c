/* checkpoint.c - audit checkpoints: signed statements of the audit chain's head, append-only. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

static const struct lt_sq sq_cp_insert = {
    SQ_CP_INSERT, "checkpoint insert",
    "INSERT INTO checkpoints (seq, audit_seq, audit_mac, time, json, sig) "
    "SELECT coalesce(max(seq), 0) + 1, ?1, ?2, ?3, ?4, ?5 FROM checkpoints"};
static const struct lt_sq sq_cp_page = {
    SQ_CP_PAGE, "checkpoint list",
    "SELECT seq, audit_seq, audit_mac, time, json, sig FROM checkpoints "
    "WHERE seq > ?1 ORDER BY seq LIMIT ?3"};

enum lethe_err lt_db_checkpoint_insert(struct lt_db *db, const struct lt_db_checkpoint *cp)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	if (!cp->json || cp->json_len == 0 || cp->audit_seq > INT64_MAX)
		return lt_err(LETHE_ERR_INVALID, "audit checkpoint has no content");
	rc = lt_sq_open(&q, db, &sq_cp_insert);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, (int64_t) cp->audit_seq);
	lt_sq_blob(&q, 2, cp->audit_mac, sizeof(cp->audit_mac));
	lt_sq_int(&q, 3, cp->time);
	lt_sq_blob(&q, 4, cp->json, cp->json_len);
	lt_sq_blob(&q, 5, cp->sig, sizeof(cp->sig));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	return rc;
}

static void cp_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	struct lt_db_checkpoint *cp = row;

	memset(cp, 0, sizeof(*cp));
	cp->seq = (uint64_t) lt_sq_get_range(q, 0, 1, INT64_MAX);
	cp->audit_seq = (uint64_t) lt_sq_get_range(q, 1, 0, INT64_MAX);
	lt_sq_get_blob(q, 2, cp->audit_mac, sizeof(cp->audit_mac), NULL);
	cp->time = lt_sq_get_int(q, 3);
	cp->json = lt_sq_dup_blob(q, 4, &cp->json_len);
	lt_sq_get_blob(q, 5, cp->sig, sizeof(cp->sig), NULL);
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
	return lt_sq_page(db, &p);
}
