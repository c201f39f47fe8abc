/* kek.c - the KEK versions' metadata (the wrapped keys themselves live in the keystore). */
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

#define KEK_COLS "version, is_primary, state, created_at, retired_at, live_objects"

static const struct lt_sq sq_kek_max = {SQ_KEK_MAX, "kek max",
					"SELECT coalesce(max(version), 0) FROM keks"};
static const struct lt_sq sq_kek_unset_primary = {
    SQ_KEK_UNSET_PRIMARY, "kek insert", "UPDATE keks SET is_primary = 0 WHERE is_primary = 1"};
static const struct lt_sq sq_kek_insert = {
    SQ_KEK_INSERT, "kek insert",
    "INSERT INTO keks (version, is_primary, state, created_at, retired_at) "
    "VALUES (?1, ?3, 0, ?4, 0)"};
static const struct lt_sq sq_kek_get = {SQ_KEK_GET, "kek get",
					"SELECT " KEK_COLS " FROM keks WHERE version = ?1"};
static const struct lt_sq sq_kek_primary = {SQ_KEK_PRIMARY, "kek primary",
					    "SELECT " KEK_COLS " FROM keks WHERE is_primary = 1"};
static const struct lt_sq sq_kek_page = {SQ_KEK_PAGE, "kek list",
					 "SELECT " KEK_COLS
					 " FROM keks WHERE version > ?1 ORDER BY version LIMIT ?3"};
static const struct lt_sq sq_kek_count = {
    SQ_KEK_COUNT, "kek count", "SELECT count(*) FROM objects WHERE state = 0 AND kek_version = ?1"};
static const struct lt_sq sq_kek_retire = {
    SQ_KEK_RETIRE, "kek retire",
    "UPDATE keks SET state = 1, retired_at = ?2 "
    "WHERE version = ?1 AND state = 0 AND is_primary = 0 AND NOT EXISTS "
    "(SELECT 1 FROM objects WHERE state = 0 AND kek_version = ?1)"};

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

enum lethe_err lt_db_kek_max_version(struct lt_db *db, uint32_t *version)
{
	int64_t v = 0;
	enum lethe_err rc = lt_sq_query_int(db, &sq_kek_max, NULL, 0, 0, &v);

	*version = rc == LETHE_OK ? (uint32_t) v : 0;
	return rc;
}

static enum lethe_err kek_insert_row(struct lt_db *db, const struct lt_db_kek *kek)
{
	uint32_t max = 0;
	struct lt_sq_query q;
	enum lethe_err rc;

	rc = lt_db_kek_max_version(db, &max);
	if (rc != LETHE_OK)
		return rc;
	if (kek->version != max + 1)
		return lt_err(LETHE_ERR_INVALID, "KEK version %u does not follow version %u",
			      kek->version, max);
	if (kek->primary) {
		rc = lt_sq_run(db, &sq_kek_unset_primary);
		if (rc != LETHE_OK)
			return rc;
	}
	rc = lt_sq_open(&q, db, &sq_kek_insert);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, kek->version);
	lt_sq_int(&q, 3, kek->primary ? 1 : 0);
	lt_sq_int(&q, 4, kek->created_at);
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
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

/* One KEK row: by version (sq_kek_get, ?1) or the primary. */
static enum lethe_err kek_one(struct lt_db *db, const struct lt_sq *def, uint32_t version,
			      struct lt_db_kek *out)
{
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	memset(out, 0, sizeof(*out));
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
		kek_row(&q, out);
		rc = q.err;
	}
	lt_sq_close(&q);
	return rc;
}

enum lethe_err lt_db_kek_get(struct lt_db *db, uint32_t version, struct lt_db_kek *out)
{
	return kek_one(db, &sq_kek_get, version, out);
}

enum lethe_err lt_db_kek_primary(struct lt_db *db, struct lt_db_kek *out)
{
	return kek_one(db, &sq_kek_primary, 0, out);
}

static void kek_page_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	kek_row(q, row);
	p->pos = ((const struct lt_db_kek *) row)->version;
}

enum lethe_err lt_db_kek_list(struct lt_db *db, lt_db_kek_fn fn, void *ctx)
{
	struct lt_sq_pager p;

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

/* Why a retire changed nothing. */
static enum lethe_err kek_retire_refused(struct lt_db *db, uint32_t version)
{
	struct lt_db_kek kek;
	uint64_t live = 0;
	enum lethe_err rc;

	rc = lt_db_kek_get(db, version, &kek);
	if (rc != LETHE_OK)
		return rc;
	if (kek.state == LETHE_KEK_RETIRED)
		return LETHE_OK; /* already destroyed: what was asked holds */
	if (kek.primary)
		return lt_err(LETHE_ERR_KEK_IN_USE, "KEK version %u is the primary", version);
	rc = lt_db_kek_count_objects(db, version, &live);
	if (rc != LETHE_OK)
		return rc;
	return lt_err(LETHE_ERR_KEK_IN_USE, "KEK version %u still wraps %llu live data keys",
		      version, (unsigned long long) live);
}

/* One statement: the in-use check and the destruction cannot be separated by a put. */
enum lethe_err lt_db_kek_retire(struct lt_db *db, uint32_t version, int64_t now)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	rc = lt_sq_open(&q, db, &sq_kek_retire);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, version);
	lt_sq_int(&q, 2, now);
	rc = lt_sq_exec(&q);
	if (rc == LETHE_OK && lt_sq_changes(&q) == 0) {
		lt_sq_close(&q);
		return kek_retire_refused(db, version);
	}
	lt_sq_close(&q);
	return rc;
}
