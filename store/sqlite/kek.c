/* kek.c - the KEK versions' metadata (the wrapped keys themselves live in the keystore). */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

#define KEK_COLS    "version, is_primary, state, created_at, retired_at, live_objects, mac"
#define KEK_COL_MAC 6

static const struct lt_sq sq_kek_max = {SQ_KEK_MAX, "kek max",
					"SELECT coalesce(max(version), 0) FROM keks"};
static const struct lt_sq sq_kek_insert = {
    SQ_KEK_INSERT, "kek insert",
    "INSERT INTO keks (version, is_primary, state, created_at, retired_at, mac) "
    "VALUES (?1, ?3, 0, ?4, 0, ?5)"};
/* a row changed whole, guarded by the MAC it was read with */
static const struct lt_sq sq_kek_set_row = {
    SQ_KEK_SET_ROW, "kek update",
    "UPDATE keks SET is_primary = ?2, state = ?3, retired_at = ?4, mac = ?5 "
    "WHERE version = ?1 AND mac IS ?6"};
static const struct lt_sq sq_kek_get = {SQ_KEK_GET, "kek get",
					"SELECT " KEK_COLS " FROM keks WHERE version = ?1"};
static const struct lt_sq sq_kek_primary = {SQ_KEK_PRIMARY, "kek primary",
					    "SELECT " KEK_COLS " FROM keks WHERE is_primary = 1"};
static const struct lt_sq sq_kek_page = {SQ_KEK_PAGE, "kek list",
					 "SELECT " KEK_COLS
					 " FROM keks WHERE version > ?1 ORDER BY version LIMIT ?3"};
static const struct lt_sq sq_kek_count = {
    SQ_KEK_COUNT, "kek count", "SELECT count(*) FROM objects WHERE state = 0 AND kek_version = ?1"};

struct kek_read {
	struct lt_db_kek k;
	bool has_mac;
	uint8_t mac[LT_ROWMAC_LEN];
};

static void kek_row(struct lt_sq_query *q, struct lt_db_kek *k)
{
	memset(k, 0, sizeof(*k));
	k->version = (uint32_t) lt_sq_get_range(q, 0, 1, UINT32_MAX);
	k->primary = lt_sq_get_int(q, 1) != 0;
	k->state = (int) lt_sq_get_range(q, 2, LETHE_KEK_ACTIVE, LETHE_KEK_RETIRED);
	k->created_at = lt_sq_get_int(q, 3);
	k->retired_at = lt_sq_get_int(q, 4);
	k->objects = (uint64_t) lt_sq_get_range(q, 5, 0, INT64_MAX);
}

/* A row read and checked into q->err. */
static void kek_read_row(struct lt_sq_query *q, struct kek_read *r)
{
	struct lt_rowenc e;
	char key[16];
	enum lethe_err rc;

	kek_row(q, &r->k);
	lt_sq_get_blob(q, KEK_COL_MAC, r->mac, sizeof(r->mac), &r->has_mac);
	if (q->err != LETHE_OK || !lt_sq_keyed(q->db))
		return;
	snprintf(key, sizeof(key), "%u", r->k.version);
	lt_rowenc_kek(&e, &r->k);
	rc = lt_sq_verify(q->db, LT_ROW_KEKS, key, &e, r->mac, r->has_mac);
	if (rc != LETHE_OK)
		q->err = rc;
}

static void kek_encode(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap)
{
	struct lt_db_kek k;

	kek_row(q, &k);
	snprintf(key, keycap, "%u", k.version);
	lt_rowenc_kek(e, &k);
}

const struct lt_sq_table lt_sq_kek_table =
    LT_SQ_TABLE(LT_ROW_KEKS, "keks", KEK_COLS, KEK_COL_MAC, kek_encode);

/* Write @p k (read as @p old) back with its new MAC. */
static enum lethe_err kek_write(struct lt_db *db, const struct lt_db_kek *k,
				const struct kek_read *old)
{
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool keyed = lt_sq_keyed(db);
	enum lethe_err rc;

	if (keyed) {
		lt_rowenc_kek(&e, k);
		rc = lt_sq_mac(db, &e, mac);
		if (rc != LETHE_OK)
			return rc;
	}
	rc = lt_sq_open(&q, db, &sq_kek_set_row);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, k->version);
	lt_sq_int(&q, 2, k->primary ? 1 : 0);
	lt_sq_int(&q, 3, k->state);
	lt_sq_int(&q, 4, k->retired_at);
	if (keyed)
		lt_sq_blob(&q, 5, mac, sizeof(mac));
	if (old->has_mac)
		lt_sq_blob(&q, 6, old->mac, sizeof(old->mac));
	rc = lt_sq_exec(&q);
	if (rc == LETHE_OK && lt_sq_changes(&q) != 1)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: KEK version %u changed between its read and "
			    "its update",
			    db->path, k->version);
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, LT_ROW_KEKS, old->has_mac ? old->mac : NULL,
					 keyed ? mac : NULL);
	return rc;
}

enum lethe_err lt_db_kek_max_version(struct lt_db *db, uint32_t *version)
{
	int64_t v = 0;
	enum lethe_err rc = lt_sq_table_verify(db, LT_ROW_KEKS);

	if (rc == LETHE_OK)
		rc = lt_sq_query_int(db, &sq_kek_max, NULL, 0, 0, &v);
	*version = rc == LETHE_OK ? (uint32_t) v : 0;
	return rc;
}

/* One KEK row: by version (sq_kek_get, ?1) or the primary; read and checked. */
static enum lethe_err kek_one(struct lt_db *db, const struct lt_sq *def, uint32_t version,
			      struct kek_read *out)
{
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	memset(out, 0, sizeof(*out));
	/* a deleted row (the primary's, a retired one's) is as visible as a changed one */
	rc = lt_sq_table_verify(db, LT_ROW_KEKS);
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, def);
	if (rc != LETHE_OK)
		return rc;
	if (def == &sq_kek_get)
		lt_sq_int(&q, 1, version);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && !row)
		rc = def == &sq_kek_get ? lt_err(LETHE_ERR_NOT_FOUND, "no KEK version %u", version)
					: lt_err(LETHE_ERR_NOT_FOUND, "no primary KEK");
	if (rc == LETHE_OK) {
		kek_read_row(&q, out);
		rc = q.err;
	}
	lt_sq_close(&q);
	return rc;
}

static enum lethe_err kek_insert_row(struct lt_db *db, const struct lt_db_kek *kek)
{
	struct kek_read primary;
	struct lt_db_kek row = *kek;
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	uint32_t max = 0;
	struct lt_sq_query q;
	bool keyed = lt_sq_keyed(db);
	enum lethe_err rc;

	rc = lt_db_kek_max_version(db, &max);
	if (rc != LETHE_OK)
		return rc;
	if (kek->version != max + 1)
		return lt_err(LETHE_ERR_INVALID, "KEK version %u does not follow version %u",
			      kek->version, max);
	if (kek->primary) {
		rc = kek_one(db, &sq_kek_primary, 0, &primary);
		if (rc == LETHE_OK) {
			struct lt_db_kek was = primary.k;

			was.primary = false;
			rc = kek_write(db, &was, &primary);
		} else if (rc == LETHE_ERR_NOT_FOUND) {
			rc = LETHE_OK; /* the first version */
		}
		if (rc != LETHE_OK)
			return rc;
	}
	row.retired_at = 0;
	if (keyed) {
		lt_rowenc_kek(&e, &row);
		rc = lt_sq_mac(db, &e, mac);
		if (rc != LETHE_OK)
			return rc;
	}
	rc = lt_sq_open(&q, db, &sq_kek_insert);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, kek->version);
	lt_sq_int(&q, 3, kek->primary ? 1 : 0);
	lt_sq_int(&q, 4, kek->created_at);
	if (keyed)
		lt_sq_blob(&q, 5, mac, sizeof(mac));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, LT_ROW_KEKS, NULL, keyed ? mac : NULL);
	return rc;
}

enum lethe_err lt_db_kek_insert(struct lt_db *db, const struct lt_db_kek *kek)
{
	bool own;
	enum lethe_err rc;

	if (kek->state != LETHE_KEK_ACTIVE)
		return lt_err(LETHE_ERR_INVALID, "a new KEK must be active");
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, kek_insert_row(db, kek));
}

enum lethe_err lt_db_kek_get(struct lt_db *db, uint32_t version, struct lt_db_kek *out)
{
	struct kek_read r;
	enum lethe_err rc = kek_one(db, &sq_kek_get, version, &r);

	*out = r.k;
	return rc;
}

enum lethe_err lt_db_kek_primary(struct lt_db *db, struct lt_db_kek *out)
{
	struct kek_read r;
	enum lethe_err rc = kek_one(db, &sq_kek_primary, 0, &r);

	*out = r.k;
	return rc;
}

static void kek_page_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	struct kek_read r;

	kek_read_row(q, &r);
	memcpy(row, &r.k, sizeof(r.k));
	p->pos = r.k.version;
}

enum lethe_err lt_db_kek_list(struct lt_db *db, lt_db_kek_fn fn, void *ctx)
{
	struct lt_sq_pager p;
	enum lethe_err rc = lt_sq_table_verify(db, LT_ROW_KEKS);

	if (rc != LETHE_OK)
		return rc;
	lt_sq_pager_init(&p, &sq_kek_page, sizeof(struct lt_db_kek), kek_page_row, LT_SQ_KEKS, ctx);
	p.fn.kek = fn;
	return lt_sq_page(db, &p);
}

enum lethe_err lt_db_kek_count_objects(struct lt_db *db, uint32_t version, uint64_t *count)
{
	int64_t n = 0;
	enum lethe_err rc = lt_sq_query_int(db, &sq_kek_count, NULL, version, 0, &n);

	*count = rc == LETHE_OK ? (uint64_t) n : 0;
	return rc;
}

/* The in-use check and the destruction in one transaction: no put can come between. */
static enum lethe_err kek_retire_rows(struct lt_db *db, uint32_t version, int64_t now)
{
	struct kek_read r;
	struct lt_db_kek k;
	uint64_t live = 0;
	enum lethe_err rc;

	rc = kek_one(db, &sq_kek_get, version, &r);
	if (rc != LETHE_OK)
		return rc;
	if (r.k.state == LETHE_KEK_RETIRED)
		return LETHE_OK; /* already destroyed: what was asked holds */
	if (r.k.primary)
		return lt_err(LETHE_ERR_KEK_IN_USE, "KEK version %u is the primary", version);
	rc = lt_db_kek_count_objects(db, version, &live);
	if (rc != LETHE_OK)
		return rc;
	if (live)
		return lt_err(LETHE_ERR_KEK_IN_USE,
			      "KEK version %u still wraps %llu live data keys", version,
			      (unsigned long long) live);
	k = r.k;
	k.state = LETHE_KEK_RETIRED;
	k.retired_at = now;
	return kek_write(db, &k, &r);
}

enum lethe_err lt_db_kek_retire(struct lt_db *db, uint32_t version, int64_t now)
{
	bool own;
	enum lethe_err rc;

	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, kek_retire_rows(db, version, now));
}
