/* pager.c - the one walk over a keyset-paginated query that every iterating call of the
 * metadata store uses: read a page, close the statement, deliver the page, move on; and a
 * whole table's listing, matched against its digest at the end. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

/* Up to @p want rows after the position into @p page; *n counts those read (a row that failed
 * to read included, so that its allocations are released). */
static enum lethe_err page_read(struct lt_db *db, struct lt_sq_pager *p, uint8_t *page, size_t want,
				size_t *n)
{
	struct lt_sq_query q;
	bool row = true;
	enum lethe_err rc;

	*n = 0;
	rc = lt_sq_open(&q, db, p->query);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, p->pos);
	lt_sq_text(&q, 2, p->pos_id, sizeof(p->pos_id));
	lt_sq_int(&q, 3, (int64_t) want);
	if (p->bind)
		p->bind(&q, p);
	while (rc == LETHE_OK && *n < want) {
		rc = lt_sq_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		p->read(&q, p, page + (*n)++ * p->row_size);
		rc = q.err;
	}
	lt_sq_close(&q);
	return rc;
}

void lt_sq_pager_init(struct lt_sq_pager *p, const struct lt_sq *query, size_t row_size,
		      lt_sq_read_fn read, enum lt_sq_rows rows, void *fn_ctx)
{
	memset(p, 0, sizeof(*p));
	p->query = query;
	p->row_size = row_size;
	p->limit = SIZE_MAX;
	p->read = read;
	p->rows = rows;
	p->fn_ctx = fn_ctx;
}

static int deliver(struct lt_sq_pager *p, void *row)
{
	if (p->deliver)
		return p->deliver(p, row);
	switch (p->rows) {
	case LT_SQ_KEKS:
		return p->fn.kek(row, p->fn_ctx);
	case LT_SQ_OBJECTS:
		return p->fn.object(row, p->fn_ctx);
	case LT_SQ_IDS:
		return p->fn.id(row, p->fn_ctx);
	case LT_SQ_CERTS:
		return p->fn.cert(row, p->fn_ctx);
	case LT_SQ_AUDIT:
		return p->fn.audit(row, p->fn_ctx);
	case LT_SQ_CHECKPOINTS:
		return p->fn.checkpoint(row, p->fn_ctx);
	}
	return 1;
}

enum lethe_err lt_sq_page(struct lt_db *db, struct lt_sq_pager *p)
{
	uint8_t *page = calloc(LT_SQ_PAGE, p->row_size);
	size_t want, n = 0, i;
	enum lethe_err rc = LETHE_OK;

	if (!page)
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", p->query->what);
	while (rc == LETHE_OK && p->limit > 0 && !p->stopped) {
		int64_t before = p->pos;
		char before_id[LT_SQ_POS_MAX];

		memcpy(before_id, p->pos_id, sizeof(before_id));
		want = p->limit < LT_SQ_PAGE ? p->limit : LT_SQ_PAGE;
		rc = page_read(db, p, page, want, &n);
		/* A malformed row (a key column of the wrong type, an id longer than the position
		 * holds) can sort where its position does not: the next page would start at it
		 * again, for ever. */
		if (rc == LETHE_OK && n > 0 && p->pos == before &&
		    memcmp(before_id, p->pos_id, sizeof(before_id)) == 0)
			rc = lt_err(LETHE_ERR_DATABASE,
				    "%s: %s: a malformed row does not let the scan "
				    "move on (near position %lld \"%.40s\"): database modified or "
				    "corrupt",
				    db->path, p->query->what, (long long) p->pos, p->pos_id);
		for (i = 0; rc == LETHE_OK && i < n && !p->stopped; i++) {
			p->limit--;
			p->stopped = deliver(p, page + i * p->row_size) != 0;
		}
		for (i = 0; p->release && i < n; i++)
			p->release(page + i * p->row_size);
		if (rc == LETHE_OK && p->stopped)
			rc = p->rc;
		if (n < want)
			break;
	}
	free(page);
	return rc;
}

void lt_sq_keep_blob(struct lt_sq_query *q, const uint8_t **blob, size_t len, const char *what)
{
	const uint8_t *in = *blob;
	uint8_t *copy;

	*blob = NULL;
	if (q->err != LETHE_OK)
		return;
	copy = malloc(len ? len : 1);
	if (!copy) {
		q->err = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", what);
		return;
	}
	if (len)
		memcpy(copy, in, len);
	*blob = copy;
}

void lt_sq_tally_add(struct lt_sq_tally *t, const uint8_t mac[LT_ROWMAC_LEN], bool present)
{
	t->count++;
	for (size_t i = 0; present && i < LT_ROWMAC_LEN; i++)
		t->xor_of_macs[i] ^= mac[i];
}

enum lethe_err lt_sq_page_whole(struct lt_db *db, struct lt_sq_pager *p, enum lt_row_table table)
{
	struct lt_sq_tally tally;
	enum lethe_err rc;

	memset(&tally, 0, sizeof(tally));
	p->ctx = &tally;
	rc = lt_sq_page(db, p);
	if (rc == LETHE_OK && !p->stopped)
		rc = lt_sq_digest_match(db, table, tally.count, tally.xor_of_macs);
	return rc;
}
