/* meta.c - small named values: the store id, the evidence keys. Each row carries its MAC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

#define META_KEY_MAX 256

static const struct lt_sq sq_meta_set = {SQ_META_SET, "meta set",
					 "INSERT INTO meta (key, value, mac) VALUES (?1, ?2, ?3) "
					 "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
					 "mac = excluded.mac"};
static const struct lt_sq sq_meta_get = {SQ_META_GET, "meta get",
					 "SELECT key, value, mac FROM meta WHERE key = ?1"};

static void meta_encode(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap)
{
	const unsigned char *k = sqlite3_column_text(q->st, 0);
	size_t len = 0;
	const void *value = lt_sq_peek_blob(q, 1, &len);

	snprintf(key, keycap, "%s", k ? (const char *) k : "");
	lt_rowenc_meta(e, k ? (const char *) k : "", value, len);
}

const struct lt_sq_table lt_sq_meta_table =
    LT_SQ_TABLE(LT_ROW_META, "meta", "key, value, mac", 2, meta_encode);

/* Row @p key read and checked: *found, and its MAC (for the digest) into @p mac. */
static enum lethe_err meta_read(struct lt_db *db, const char *key, void *value, size_t max,
				size_t *len, bool *found, uint8_t mac[LT_ROWMAC_LEN], bool *has_mac)
{
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool row = false;
	const void *p;
	size_t n;
	enum lethe_err rc;

	*len = 0;
	*found = false;
	*has_mac = false;
	rc = lt_sq_table_verify(db, LT_ROW_META);
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, &sq_meta_get);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, key, META_KEY_MAX);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row) {
		*found = true;
		p = lt_sq_peek_blob(&q, 1, &n);
		if (n && p && value)
			memcpy(value, p, n < max ? n : max);
		*len = n;
		lt_sq_get_blob(&q, 2, mac, LT_ROWMAC_LEN, has_mac);
		rc = q.err;
		if (rc == LETHE_OK && lt_sq_keyed(db)) {
			lt_rowenc_meta(&e, key, p, n);
			rc = lt_sq_verify(db, LT_ROW_META, key, &e, mac, *has_mac);
		}
	}
	lt_sq_close(&q);
	return rc;
}

static enum lethe_err meta_set_rows(struct lt_db *db, const char *key, const void *value,
				    size_t len)
{
	uint8_t old[LT_ROWMAC_LEN], mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool found = false, had_mac = false, keyed = lt_sq_keyed(db);
	size_t old_len = 0;
	enum lethe_err rc;

	rc = meta_read(db, key, NULL, 0, &old_len, &found, old, &had_mac);
	if (rc == LETHE_OK && keyed) {
		lt_rowenc_meta(&e, key, value, len);
		rc = lt_sq_mac(db, &e, mac);
	}
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, &sq_meta_set);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, key, META_KEY_MAX);
	lt_sq_blob(&q, 2, value, len);
	if (keyed)
		lt_sq_blob(&q, 3, mac, sizeof(mac));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, LT_ROW_META, found && had_mac ? old : NULL,
					 keyed ? mac : NULL);
	return rc;
}

enum lethe_err lt_db_meta_set(struct lt_db *db, const char *key, const void *value, size_t len)
{
	bool own;
	enum lethe_err rc;

	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, meta_set_rows(db, key, value, len));
}

enum lethe_err lt_db_meta_get(struct lt_db *db, const char *key, void *value, size_t max,
			      size_t *len)
{
	uint8_t mac[LT_ROWMAC_LEN];
	bool found = false, has_mac = false;
	enum lethe_err rc = meta_read(db, key, value, max, len, &found, mac, &has_mac);

	if (rc == LETHE_OK && !found)
		rc = LETHE_ERR_NOT_FOUND; /* an expected answer: no detail */
	return rc;
}
