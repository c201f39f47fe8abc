/* meta.c - small named values: the store id, the evidence keys. */
#include <string.h>

#include "store/sqlite/sqlite.h"

static const struct lt_sq sq_meta_set = {SQ_META_SET, "meta set",
					 "INSERT INTO meta (key, value) VALUES (?1, ?2) "
					 "ON CONFLICT (key) DO UPDATE SET value = excluded.value"};
static const struct lt_sq sq_meta_get = {SQ_META_GET, "meta get",
					 "SELECT value FROM meta WHERE key = ?1"};

enum lethe_err lt_db_meta_set(struct lt_db *db, const char *key, const void *value, size_t len)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	rc = lt_sq_open(&q, db, &sq_meta_set);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, key, 256);
	lt_sq_blob(&q, 2, value, len);
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	return rc;
}

enum lethe_err lt_db_meta_get(struct lt_db *db, const char *key, void *value, size_t max,
			      size_t *len)
{
	const void *p;
	struct lt_sq_query q;
	bool row = false;
	size_t n;
	enum lethe_err rc;

	*len = 0;
	rc = lt_sq_open(&q, db, &sq_meta_get);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, key, 256);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && !row)
		rc = LETHE_ERR_NOT_FOUND; /* an expected answer: no detail */
	if (rc == LETHE_OK) {
		p = lt_sq_peek_blob(&q, 0, &n);
		if (n && p && value)
			memcpy(value, p, n < max ? n : max);
		*len = n;
	}
	lt_sq_close(&q);
	return rc;
}
