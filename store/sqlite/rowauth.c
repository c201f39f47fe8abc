/* rowauth.c - row MACs and table digests in the SQLite backend: rows checked as they are read,
 * digests kept in the transaction that changes their rows, the seal of an upgraded store, and
 * the checks of doctor and of the operations that destroy keys.
 *
 * The encoding is store/rowmac.c's; the MAC is the authenticator's (keys/rowauth.c). A table's
 * digest (row count, XOR of the rows' MACs) lives in row_digests, MAC'd like a row: a row
 * deleted or inserted without the key changes the count or the XOR, and a new digest cannot be
 * forged. Inside a write transaction the digests are read once, changed in memory and written
 * just before the commit (a sweep batch of a thousand shreds writes each digest once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

static const struct lt_sq sq_digest_get = {
    SQ_DIGEST_GET, "row digest", "SELECT count, xor, mac FROM row_digests WHERE tbl = ?1"};
static const struct lt_sq sq_digest_set = {
    SQ_DIGEST_SET, "row digest",
    "INSERT INTO row_digests (tbl, count, xor, mac) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (tbl) DO UPDATE SET count = excluded.count, xor = excluded.xor, "
    "mac = excluded.mac"};
static const struct lt_sq sq_digest_any = {SQ_DIGEST_ANY, "row digest",
					   "SELECT count(*) FROM row_digests"};
static const struct lt_sq sq_cert_newest = {SQ_CERT_NEWEST, "certificate newest",
					    "SELECT coalesce(max(rowid), 0) FROM certificates"};
static const struct lt_sq sq_cp_newest = {SQ_CP_NEWEST, "checkpoint newest",
					  "SELECT coalesce(max(rowid), 0) FROM checkpoints"};

static const struct lt_sq_table *const tables[LT_ROW_TABLES] = {
    [LT_ROW_META] = &lt_sq_meta_table,
    [LT_ROW_KEKS] = &lt_sq_kek_table,
    [LT_ROW_OBJECTS] = &lt_sq_object_table,
    [LT_ROW_HOLDS] = &lt_sq_hold_table,
    [LT_ROW_PENDING_UNLINKS] = &lt_sq_unlink_table,
    [LT_ROW_CERTIFICATES] = &lt_sq_cert_table,
    [LT_ROW_CHECKPOINTS] = &lt_sq_cp_table,
};

void lt_db_set_row_auth(struct lt_db *db, lt_db_row_auth_fn fn, void *ctx)
{
	db->auth.fn = fn;
	db->auth.ctx = ctx;
	lt_sq_auth_reset(db);
}

bool lt_sq_keyed(const struct lt_db *db)
{
	return db->auth.fn != NULL;
}

static void xor_into(uint8_t acc[LT_ROWMAC_LEN], const uint8_t *mac)
{
	for (size_t i = 0; i < LT_ROWMAC_LEN; i++)
		acc[i] ^= mac[i];
}

/* Not secret (both sides are MACs anyone can read), but compared without early exit anyway. */
static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (uint8_t) (a[i] ^ b[i]);
	return diff == 0;
}

enum lethe_err lt_sq_mac(struct lt_db *db, struct lt_rowenc *e, uint8_t mac[LT_ROWMAC_LEN])
{
	enum lethe_err rc;

	if (e->failed)
		rc = lt_err(LETHE_ERR_NOMEM, "%s: row MAC: out of memory", db->path);
	else if (!db->auth.fn)
		rc = lt_err(LETHE_ERR_INTERNAL, "%s: a row MAC without the row-MAC key", db->path);
	else
		rc = db->auth.fn(db->auth.ctx, e->buf, e->len, mac, NULL);
	lt_rowenc_free(e);
	return rc;
}

enum lethe_err lt_sq_verify(struct lt_db *db, enum lt_row_table table, const char *key,
			    struct lt_rowenc *e, const uint8_t *mac, bool present)
{
	uint8_t computed[LT_ROWMAC_LEN];
	enum lethe_err rc = LETHE_OK;

	if (!db->auth.fn)
		goto out;
	if (e->failed) {
		rc = lt_err(LETHE_ERR_NOMEM, "%s: row MAC: out of memory", db->path);
		goto out;
	}
	if (!present) {
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: %s row %s has no MAC: it was written outside lethe", db->path,
			    lt_row_table_name(table), key);
		goto out;
	}
	rc = db->auth.fn(db->auth.ctx, e->buf, e->len, computed, mac);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: %s row %s fails its MAC: it was modified outside lethe", db->path,
			    lt_row_table_name(table), key);
out:
	lt_rowenc_free(e);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Digests                                                                                  */

static enum lethe_err digest_read(struct lt_db *db, enum lt_row_table t, struct lt_sq_digest *d)
{
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	memset(d, 0, sizeof(*d));
	rc = lt_sq_open(&q, db, &sq_digest_get);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, lt_row_table_name(t), 32);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && !row)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: table %s has no digest: its row in row_digests was deleted "
			    "outside lethe",
			    db->path, lt_row_table_name(t));
	if (rc == LETHE_OK) {
		d->count = (uint64_t) lt_sq_get_range(&q, 0, 0, INT64_MAX);
		lt_sq_get_blob(&q, 1, d->xor_of_macs, LT_ROWMAC_LEN, NULL);
		lt_sq_get_blob(&q, 2, mac, LT_ROWMAC_LEN, NULL);
		rc = q.err;
	}
	lt_sq_close(&q);
	if (rc == LETHE_ERR_DATABASE)
		rc = lt_err(LETHE_ERR_INTEGRITY, "%s: the digest of table %s is malformed",
			    db->path, lt_row_table_name(t));
	if (rc != LETHE_OK)
		return rc;
	lt_rowenc_digest(&e, t, d->count, d->xor_of_macs);
	rc = lt_sq_verify(db, LT_ROW_TABLES, "", &e, mac, true);
	/* only a MAC that differs is tampering; a failing MAC computation is its own error */
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(
		    LETHE_ERR_INTEGRITY,
		    "%s: the digest of table %s fails its MAC: it was modified outside lethe",
		    db->path, lt_row_table_name(t));
	return rc;
}

/* The digest of @p t: cached for the rest of a write transaction. */
static enum lethe_err digest_get(struct lt_db *db, enum lt_row_table t, struct lt_sq_digest **out)
{
	struct lt_sq_digest *d = &db->auth.d[t];
	enum lethe_err rc;

	*out = d;
	if (d->loaded && lt_sq_in_tx(db))
		return LETHE_OK;
	rc = digest_read(db, t, d);
	d->loaded = rc == LETHE_OK && lt_sq_in_tx(db);
	return rc;
}

enum lethe_err lt_sq_digest_load(struct lt_db *db, enum lt_row_table table)
{
	struct lt_sq_digest *d;

	if (!db->auth.fn || !lt_sq_in_tx(db))
		return LETHE_OK;
	return digest_get(db, table, &d);
}

enum lethe_err lt_sq_digest_change(struct lt_db *db, enum lt_row_table table,
				   const uint8_t *old_mac, const uint8_t *new_mac)
{
	struct lt_sq_digest *d;
	enum lethe_err rc;

	if (!db->auth.fn)
		return LETHE_OK;
	if (!lt_sq_in_tx(db))
		return lt_err(LETHE_ERR_INTERNAL, "%s: %s changed outside a transaction", db->path,
			      lt_row_table_name(table));
	rc = digest_get(db, table, &d);
	if (rc != LETHE_OK)
		return rc;
	if (old_mac) {
		d->count--;
		xor_into(d->xor_of_macs, old_mac);
	}
	if (new_mac) {
		d->count++;
		xor_into(d->xor_of_macs, new_mac);
	}
	d->dirty = true;
	return LETHE_OK;
}

enum lethe_err lt_sq_auth_flush(struct lt_db *db)
{
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	enum lethe_err rc = LETHE_OK;

	for (int t = 0; rc == LETHE_OK && t < LT_ROW_TABLES; t++) {
		struct lt_sq_digest *d = &db->auth.d[t];

		if (!d->dirty || !db->auth.fn)
			continue;
		lt_rowenc_digest(&e, (enum lt_row_table) t, d->count, d->xor_of_macs);
		rc = lt_sq_mac(db, &e, mac);
		if (rc == LETHE_OK)
			rc = lt_sq_open(&q, db, &sq_digest_set);
		if (rc != LETHE_OK)
			break;
		lt_sq_text(&q, 1, lt_row_table_name((enum lt_row_table) t), 32);
		lt_sq_int(&q, 2, (int64_t) d->count);
		lt_sq_blob(&q, 3, d->xor_of_macs, LT_ROWMAC_LEN);
		lt_sq_blob(&q, 4, mac, LT_ROWMAC_LEN);
		rc = lt_sq_exec(&q);
		lt_sq_close(&q);
		if (rc == LETHE_OK)
			d->dirty = false;
	}
	return rc;
}

void lt_sq_auth_reset(struct lt_db *db)
{
	memset(db->auth.d, 0, sizeof(db->auth.d));
	memset(db->auth.verified, 0, sizeof(db->auth.verified));
	db->auth.depth = 0;
	db->auth.cert_newest.known = false;
	db->auth.ghold.known = false;
}

void lt_sq_auth_savepoint(struct lt_db *db)
{
	if (db->auth.depth < LT_SQ_SAVEPOINTS)
		memcpy(db->auth.saved[db->auth.depth], db->auth.d, sizeof(db->auth.d));
	db->auth.depth++;
}

void lt_sq_auth_release(struct lt_db *db, bool rolled_back)
{
	if (db->auth.depth <= 0)
		return;
	db->auth.depth--;
	if (!rolled_back)
		return;
	db->auth.cert_newest.known = false;
	db->auth.ghold.known = false;
	if (db->auth.depth < LT_SQ_SAVEPOINTS)
		memcpy(db->auth.d, db->auth.saved[db->auth.depth], sizeof(db->auth.d));
	else
		memset(db->auth.d, 0, sizeof(db->auth.d)); /* read again */
}

/* ---------------------------------------------------------------------------------------- */
/* Walks over every row                                                                     */

enum walk_mode { WALK_VERIFY, WALK_SEAL };

struct walk {
	enum walk_mode mode;
	lt_db_rowmac_problem_fn problem; /* NULL: stop at the first, as an error */
	void *ctx;
	uint64_t count;
	uint8_t xor_of_macs[LT_ROWMAC_LEN];
	unsigned problems;
	enum lethe_err rc; /* the first problem, when problem is NULL */
};

static void walk_problem(struct lt_db *db, struct walk *w, const struct lt_sq_table *tbl,
			 const char *detail)
{
	w->problems++;
	if (w->problem)
		w->problem(lt_row_table_name(tbl->table), detail, w->ctx);
	else if (w->rc == LETHE_OK)
		w->rc = lt_err(LETHE_ERR_INTEGRITY, "%s: %s", db->path, detail);
}

struct sealed_row {
	int64_t rowid;
	uint8_t mac[LT_ROWMAC_LEN];
};

/* One page of @p tbl after rowid *pos: *n rows read. */
static enum lethe_err walk_page(struct lt_db *db, const struct lt_sq_table *tbl, struct walk *w,
				int64_t *pos, size_t limit, struct sealed_row *sealed, size_t *n)
{
	char key[128], detail[400];
	uint8_t stored[LT_ROWMAC_LEN], computed[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool row = true, present;
	enum lethe_err rc, mrc;

	*n = 0;
	rc = lt_sq_open(&q, db, &tbl->walk);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, *pos);
	lt_sq_int(&q, 3, (int64_t) limit);
	while (rc == LETHE_OK && *n < limit) {
		rc = lt_sq_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		(*n)++;
		*pos = lt_sq_get_int(&q, tbl->ncols + 1);
		key[0] = '\0';
		tbl->encode(&q, &e, key, sizeof(key));
		if (!key[0])
			snprintf(key, sizeof(key), "at rowid %lld", (long long) *pos);
		lt_sq_get_blob(&q, tbl->ncols, stored, LT_ROWMAC_LEN, &present);
		if (q.err == LETHE_ERR_NOMEM) {
			rc = q.err;
			lt_rowenc_free(&e);
			break;
		}
		if (q.err != LETHE_OK && w->mode == WALK_VERIFY) {
			snprintf(detail, sizeof(detail), "%s row %s: %s",
				 lt_row_table_name(tbl->table), key, lt_err_detail());
			walk_problem(db, w, tbl, detail);
		}
		q.err = LETHE_OK;
		if (e.failed) {
			lt_rowenc_free(&e);
			rc = lt_err(LETHE_ERR_NOMEM, "%s: row MAC: out of memory", db->path);
			break;
		}
		mrc = db->auth.fn(db->auth.ctx, e.buf, e.len, computed,
				  w->mode == WALK_VERIFY && present ? stored : NULL);
		lt_rowenc_free(&e);
		if (mrc != LETHE_OK && mrc != LETHE_ERR_INTEGRITY) {
			rc = mrc;
			break;
		}
		if (w->mode == WALK_SEAL) {
			sealed[*n - 1].rowid = *pos;
			memcpy(sealed[*n - 1].mac, computed, LT_ROWMAC_LEN);
			w->count++;
			xor_into(w->xor_of_macs, computed);
			continue;
		}
		if (!present) {
			snprintf(detail, sizeof(detail),
				 "%s row %s has no MAC: it was written "
				 "outside lethe",
				 lt_row_table_name(tbl->table), key);
			walk_problem(db, w, tbl, detail);
		} else if (mrc == LETHE_ERR_INTEGRITY) {
			snprintf(detail, sizeof(detail),
				 "%s row %s fails its MAC: it was modified "
				 "outside lethe",
				 lt_row_table_name(tbl->table), key);
			walk_problem(db, w, tbl, detail);
		}
		w->count++;
		if (present)
			xor_into(w->xor_of_macs, stored);
	}
	lt_sq_close(&q);
	return rc;
}

static enum lethe_err walk_table(struct lt_db *db, const struct lt_sq_table *tbl, struct walk *w,
				 int64_t pos)
{
	struct sealed_row *sealed = NULL;
	struct lt_sq_query q;
	size_t n = 0;
	enum lethe_err rc = LETHE_OK;

	if (w->mode == WALK_SEAL && !(sealed = calloc(LT_SQ_PAGE, sizeof(*sealed))))
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", db->path);
	do {
		rc = walk_page(db, tbl, w, &pos, LT_SQ_PAGE, sealed, &n);
		for (size_t i = 0; rc == LETHE_OK && w->mode == WALK_SEAL && i < n; i++) {
			rc = lt_sq_open(&q, db, &tbl->set_mac);
			if (rc != LETHE_OK)
				break;
			lt_sq_int(&q, 1, sealed[i].rowid);
			lt_sq_blob(&q, 2, sealed[i].mac, LT_ROWMAC_LEN);
			rc = lt_sq_exec(&q);
			lt_sq_close(&q);
		}
	} while (rc == LETHE_OK && n == LT_SQ_PAGE && (w->problem || w->rc == LETHE_OK));
	free(sealed);
	return rc;
}

/* Rows of @p tbl against its digest. */
static enum lethe_err digest_compare(struct lt_db *db, const struct lt_sq_table *tbl,
				     struct walk *w, uint64_t count, const uint8_t *xor_of_macs)
{
	struct lt_sq_digest *d;
	char detail[300];
	enum lethe_err rc = digest_get(db, tbl->table, &d);

	if (rc != LETHE_OK) {
		if (rc != LETHE_ERR_INTEGRITY)
			return rc;
		walk_problem(db, w, tbl,
			     lt_err_detail() +
				 (strncmp(lt_err_detail(), db->path, strlen(db->path)) == 0
				      ? strlen(db->path) + 2
				      : 0));
		return LETHE_OK;
	}
	if (count != d->count)
		snprintf(detail, sizeof(detail),
			 "table %s has %llu rows but its digest says %llu: rows were deleted or "
			 "inserted outside lethe",
			 lt_row_table_name(tbl->table), (unsigned long long) count,
			 (unsigned long long) d->count);
	else if (xor_of_macs && !same(xor_of_macs, d->xor_of_macs, LT_ROWMAC_LEN))
		snprintf(detail, sizeof(detail),
			 "the rows of table %s do not match its digest: a row was deleted, "
			 "inserted or replaced outside lethe",
			 lt_row_table_name(tbl->table));
	else
		return LETHE_OK;
	walk_problem(db, w, tbl, detail);
	return LETHE_OK;
}

enum lethe_err lt_sq_table_verify(struct lt_db *db, enum lt_row_table table)
{
	const struct lt_sq_table *tbl = tables[table];
	struct walk w = {.mode = WALK_VERIFY};
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_sq_query q;
	bool row = true, present;
	enum lethe_err rc;

	if (!db->auth.fn || (lt_sq_in_tx(db) && db->auth.verified[table]))
		return LETHE_OK;
	rc = lt_sq_open(&q, db, &tbl->macs);
	if (rc != LETHE_OK)
		return rc;
	while (rc == LETHE_OK) {
		rc = lt_sq_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		lt_sq_get_blob(&q, 0, mac, LT_ROWMAC_LEN, &present);
		q.err = LETHE_OK;
		w.count++;
		if (present)
			xor_into(w.xor_of_macs, mac);
		else
			w.count += 1u << 31; /* cannot match: a row without a MAC */
	}
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = digest_compare(db, tbl, &w, w.count, w.xor_of_macs);
	if (rc == LETHE_OK)
		rc = w.rc;
	if (rc == LETHE_OK && lt_sq_in_tx(db))
		db->auth.verified[table] = true;
	return rc;
}

enum lethe_err lt_sq_digest_match(struct lt_db *db, enum lt_row_table table, uint64_t count,
				  const uint8_t xor_of_macs[LT_ROWMAC_LEN])
{
	struct walk w = {.mode = WALK_VERIFY};
	enum lethe_err rc;

	if (!db->auth.fn)
		return LETHE_OK;
	rc = digest_compare(db, tables[table], &w, count, xor_of_macs);
	return rc != LETHE_OK ? rc : w.rc;
}

enum lethe_err lt_sq_append(struct lt_db *db, const struct lt_sq_append *a, const void *row,
			    uint64_t *seq)
{
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	int64_t next = 0;
	bool keyed = lt_sq_keyed(db);
	enum lethe_err rc;

	rc = lt_sq_query_int(db, a->next, NULL, 0, 0, &next);
	if (rc != LETHE_OK)
		return rc;
	if (keyed) {
		a->encode(&e, row, (uint64_t) next);
		rc = lt_sq_mac(db, &e, mac);
		if (rc != LETHE_OK)
			return rc;
	}
	rc = lt_sq_open(&q, db, a->insert);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, next);
	a->bind(&q, row);
	if (keyed)
		lt_sq_blob(&q, a->mac_param, mac, sizeof(mac));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, a->table, NULL, keyed ? mac : NULL);
	if (rc == LETHE_OK)
		*seq = (uint64_t) next;
	return rc;
}

void lt_sq_row_check(struct lt_sq_query *q, const struct lt_sq_table *t, uint8_t mac[LT_ROWMAC_LEN],
		     bool *present)
{
	struct lt_rowenc e;
	char key[128];
	enum lethe_err rc;

	lt_sq_get_blob(q, t->ncols, mac, LT_ROWMAC_LEN, present);
	if (q->err != LETHE_OK || !lt_sq_keyed(q->db))
		return;
	key[0] = '\0';
	t->encode(q, &e, key, sizeof(key));
	rc = lt_sq_verify(q->db, t->table, key, &e, mac, *present);
	if (rc != LETHE_OK)
		q->err = rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Seal, precheck, full check                                                               */

enum lethe_err lt_db_rowmac_sealed(struct lt_db *db, bool *sealed)
{
	int64_t n = 0;
	enum lethe_err rc = lt_sq_query_int(db, &sq_digest_any, NULL, 0, 0, &n);

	*sealed = rc == LETHE_OK && n > 0;
	return rc;
}

static enum lethe_err seal_all(struct lt_db *db)
{
	enum lethe_err rc = LETHE_OK;

	for (int t = 0; rc == LETHE_OK && t < LT_ROW_TABLES; t++) {
		struct walk w = {.mode = WALK_SEAL};
		struct lt_sq_digest *d = &db->auth.d[t];

		rc = walk_table(db, tables[t], &w, INT64_MIN);
		if (rc != LETHE_OK)
			break;
		d->count = w.count;
		memcpy(d->xor_of_macs, w.xor_of_macs, LT_ROWMAC_LEN);
		d->loaded = true;
		d->dirty = true;
		db->auth.verified[t] = true;
	}
	return rc;
}

enum lethe_err lt_db_rowmac_seal(struct lt_db *db)
{
	bool own;
	enum lethe_err rc;

	if (!db->auth.fn)
		return lt_err(LETHE_ERR_INTERNAL, "%s: sealing needs the row-MAC key", db->path);
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, seal_all(db));
}

/* The newest row of a table that grows by one row a change (certificates, checkpoints). */
static enum lethe_err check_newest(struct lt_db *db, const struct lt_sq_table *tbl,
				   const struct lt_sq *newest, struct walk *w)
{
	int64_t last = 0;
	enum lethe_err rc = lt_sq_query_int(db, newest, NULL, 0, 0, &last);
	size_t n = 0;

	if (rc == LETHE_OK && last > 0) {
		struct walk one = {.mode = WALK_VERIFY, .problem = w->problem, .ctx = w->ctx};
		int64_t pos = last - 1;

		rc = walk_page(db, tbl, &one, &pos, 1, NULL, &n);
		w->problems += one.problems;
		if (w->rc == LETHE_OK)
			w->rc = one.rc;
	}
	return rc;
}

enum lethe_err lt_db_rowmac_precheck(struct lt_db *db)
{
	static const enum lt_row_table small[] = {LT_ROW_META, LT_ROW_KEKS, LT_ROW_HOLDS,
						  LT_ROW_PENDING_UNLINKS};
	static const enum lt_row_table counted[] = {LT_ROW_OBJECTS, LT_ROW_CERTIFICATES,
						    LT_ROW_CHECKPOINTS};
	struct walk w = {.mode = WALK_VERIFY};
	enum lethe_err rc = LETHE_OK;
	int64_t n;

	if (!db->auth.fn)
		return LETHE_OK;
	for (size_t i = 0; rc == LETHE_OK && w.rc == LETHE_OK && i < 4; i++) {
		struct walk one = {.mode = WALK_VERIFY};

		rc = walk_table(db, tables[small[i]], &one, INT64_MIN);
		if (rc == LETHE_OK && one.rc == LETHE_OK)
			rc = digest_compare(db, tables[small[i]], &one, one.count, one.xor_of_macs);
		w.rc = one.rc;
		if (rc == LETHE_OK && w.rc == LETHE_OK && lt_sq_in_tx(db))
			db->auth.verified[small[i]] = true;
	}
	for (size_t i = 0; rc == LETHE_OK && w.rc == LETHE_OK && i < 3; i++) {
		rc = lt_sq_query_int(db, &tables[counted[i]]->count, NULL, 0, 0, &n);
		if (rc == LETHE_OK)
			rc = digest_compare(db, tables[counted[i]], &w, (uint64_t) n, NULL);
	}
	if (rc == LETHE_OK && w.rc == LETHE_OK)
		rc = check_newest(db, &lt_sq_cert_table, &sq_cert_newest, &w);
	if (rc == LETHE_OK && w.rc == LETHE_OK)
		rc = check_newest(db, &lt_sq_cp_table, &sq_cp_newest, &w);
	return rc != LETHE_OK ? rc : w.rc;
}

enum lethe_err lt_db_rowmac_check(struct lt_db *db, lt_db_rowmac_problem_fn fn, void *ctx)
{
	struct walk w = {.mode = WALK_VERIFY, .problem = fn, .ctx = ctx};
	enum lethe_err rc = LETHE_OK;

	if (!db->auth.fn)
		return lt_err(LETHE_ERR_INTERNAL, "%s: checking rows needs the row-MAC key",
			      db->path);
	for (int t = 0; rc == LETHE_OK && t < LT_ROW_TABLES; t++) {
		struct walk one = {.mode = WALK_VERIFY, .problem = fn, .ctx = ctx};

		rc = walk_table(db, tables[t], &one, INT64_MIN);
		if (rc == LETHE_OK)
			rc = digest_compare(db, tables[t], &one, one.count, one.xor_of_macs);
		w.problems += one.problems;
	}
	if (rc == LETHE_OK && w.problems)
		rc = lt_err(LETHE_ERR_INTEGRITY, "%s: %u row problem(s)", db->path, w.problems);
	return rc;
}
