/* object.c - the objects table: rows of live and shredded objects, the scans over them
 * (listing, expiry, rewrap, scrub), the shred, holds on one object, retention changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/uuid.h"
#include "store/objfile.h"
#include "store/sqlite/sqlite.h"

#define OBJ_COLS                                                                                   \
	"id, grp, name, size, sha256, created_at, retain_until, hold, hold_reason, kek_version, "  \
	"wrapped_dek, state, shredded_at, seg_log2, locked, name_enc, name_commit, mac"
/* the row's MAC, and the column after OBJ_COLS in the rewrap scan */
#define OBJ_COL_MAC   17
#define OBJ_COL_ROWID 18

static const struct lt_sq sq_insert = {SQ_OBJ_INSERT, "object insert",
				       "INSERT INTO objects (" OBJ_COLS
				       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
				       "0, 0, ?12, ?13, ?14, ?15, ?16)"};
static const struct lt_sq sq_get = {SQ_OBJ_GET, "object get",
				    "SELECT " OBJ_COLS " FROM objects WHERE id = ?1"};
/* The scans are pages (lt_sq_page): ?1, ?2 the keyset position, ?3 the page size, then ?4 the
 * bound, ?5 include shredded, ?6 the group. */
static const struct lt_sq sq_list_all = {SQ_OBJ_LIST_ALL, "object list",
					 "SELECT " OBJ_COLS
					 " FROM objects WHERE (created_at, id) > (?1, ?2) "
					 "AND (?4 = 0 OR (state = 0 AND retain_until <= ?4)) "
					 "AND (?5 OR state = 0) ORDER BY created_at, id LIMIT ?3"};
static const struct lt_sq sq_list_group = {
    SQ_OBJ_LIST_GROUP, "object list",
    "SELECT " OBJ_COLS " FROM objects WHERE grp = ?6 AND (created_at, id) > (?1, ?2) "
    "AND (?4 = 0 OR (state = 0 AND retain_until <= ?4)) "
    "AND (?5 OR state = 0) ORDER BY created_at, id LIMIT ?3"};
/* the sweep's candidates by the partial index; retention/ decides on each row */
static const struct lt_sq sq_expired = {
    SQ_OBJ_EXPIRED, "expired scan",
    "SELECT " OBJ_COLS " FROM objects WHERE state = 0 AND retain_until <= ?4 "
    "AND (retain_until, id) > (?1, ?2) ORDER BY retain_until, id LIMIT ?3"};
/* ?1 is a rowid here: "rowid > ?" is a true index seek, a row value with rowid is not */
static const struct lt_sq sq_kek_page = {
    SQ_OBJ_KEK_PAGE, "rewrap scan",
    "SELECT " OBJ_COLS ", rowid FROM objects WHERE state = 0 AND kek_version = ?4 "
    "AND rowid > ?1 ORDER BY rowid LIMIT ?3"};
static const struct lt_sq sq_kek_next = {
    SQ_OBJ_KEK_NEXT, "rewrap scan",
    "SELECT min(kek_version) FROM objects WHERE state = 0 AND kek_version > ?1 "
    "AND kek_version < ?2"};
/* a scrub's order: its position is one id */
static const struct lt_sq sq_by_id = {
    SQ_OBJ_BY_ID, "scrub scan",
    "SELECT " OBJ_COLS " FROM objects WHERE state = 0 AND id > ?2 ORDER BY id LIMIT ?3"};
/* Every row that holds a wrapped data key, whatever its state says, read from the table itself
 * (NOT INDEXED): an index or a state column edited outside lethe cannot hide a row from the
 * checks that decide whether a KEK may be destroyed. ?1 is a rowid. */
static const struct lt_sq sq_with_dek = {SQ_OBJ_WITH_DEK, "key holders scan",
					 "SELECT " OBJ_COLS
					 ", rowid FROM objects NOT INDEXED WHERE rowid > ?1 "
					 "AND wrapped_dek IS NOT NULL ORDER BY rowid LIMIT ?3"};
/* the rows of a store from before encrypted names not yet converted; ?1 is a rowid */
static const struct lt_sq sq_unconverted = {
    SQ_OBJ_UNCONVERTED, "name conversion scan",
    "SELECT " OBJ_COLS ", rowid FROM objects INDEXED BY objects_unconverted "
    "WHERE rowid > ?1 AND name_commit IS NULL ORDER BY rowid "
    "LIMIT ?3"};
static const struct lt_sq sq_totals_after = {
    SQ_OBJ_TOTALS_AFTER, "scrub totals",
    "SELECT count(*), coalesce(sum(size), 0) FROM objects WHERE state = 0 AND id > ?1"};
/* Every change of a row is read, checked, changed and written with its new MAC, guarded by
 * the MAC it was read with. Each kind of change writes the columns it changes and no other
 * (the rest of the row is the one just checked, and id, group, name, size, hashes and times
 * of creation never change): an UPDATE naming a column maintains every index and trigger on
 * it, and a rewrap or a hold must not pay for the expiry index. All bind the same numbers
 * (object_write): ?1 id, ?2 hold, ?3 hold_reason, ?4 retain_until, ?5 kek_version,
 * ?6 wrapped_dek, ?7 state, ?8 shredded_at, ?9 the new MAC, ?10 the MAC read; and the name's
 * conversion (a store from before encrypted names) ?11 name_enc, ?12 name_commit. The shred
 * clears the encrypted name with the key: nothing of the name is left in the row. */
static const struct lt_sq sq_set_shred = {
    SQ_OBJ_SHRED, "object shred",
    "UPDATE objects SET kek_version = ?5, wrapped_dek = ?6, state = ?7, shredded_at = ?8, "
    "name = '', name_enc = NULL, mac = ?9 WHERE id = ?1 AND mac IS ?10"};
static const struct lt_sq sq_set_name = {
    SQ_OBJ_SET_NAME, "name conversion",
    "UPDATE objects SET name = '', name_enc = ?11, name_commit = ?12, mac = ?9 "
    "WHERE id = ?1 AND mac IS ?10"};
static const struct lt_sq sq_set_hold = {
    SQ_OBJ_HOLD_SET, "object hold",
    "UPDATE objects SET hold = ?2, hold_reason = ?3, mac = ?9 WHERE id = ?1 AND mac IS ?10"};
static const struct lt_sq sq_set_until = {
    SQ_OBJ_SET_UNTIL, "retention extend",
    "UPDATE objects SET retain_until = ?4, mac = ?9 WHERE id = ?1 AND mac IS ?10"};
static const struct lt_sq sq_set_dek = {
    SQ_OBJ_SET_DEK, "object set dek",
    "UPDATE objects SET kek_version = ?5, wrapped_dek = ?6, mac = ?9 "
    "WHERE id = ?1 AND mac IS ?10"};
static const struct lt_sq sq_group_overflow = {
    SQ_GROUP_OVERFLOW, "group extend",
    "SELECT EXISTS (SELECT 1 FROM objects WHERE grp = ?1 AND state = 0 "
    "AND retain_until > ?2)"};
static const struct lt_sq sq_count_live = {SQ_OBJ_COUNT_LIVE, "object count",
					   "SELECT count(*) FROM objects WHERE state = 0"};
static const struct lt_sq sq_count_shredded = {SQ_OBJ_COUNT_SHREDDED, "object count",
					       "SELECT count(*) FROM objects WHERE state = 1"};

static void obj_row(struct lt_sq_query *q, struct lt_db_object *o)
{
	memset(o, 0, sizeof(*o));
	lt_sq_get_text(q, 0, o->id, sizeof(o->id));
	lt_sq_get_text(q, 1, o->group, sizeof(o->group));
	lt_sq_get_text(q, 2, o->name, sizeof(o->name));
	o->size = (uint64_t) lt_sq_get_range(q, 3, 0, INT64_MAX);
	lt_sq_get_blob(q, 4, o->sha256, sizeof(o->sha256), NULL);
	o->created_at = lt_sq_get_int(q, 5);
	o->retain_until = lt_sq_get_int(q, 6);
	o->hold = lt_sq_get_int(q, 7) != 0;
	lt_sq_get_text(q, 8, o->hold_reason, sizeof(o->hold_reason));
	if (!lt_sq_get_null(q, 9))
		o->kek_version = (uint32_t) lt_sq_get_range(q, 9, 1, UINT32_MAX);
	lt_sq_get_blob(q, 10, o->wrapped_dek, sizeof(o->wrapped_dek), &o->has_dek);
	o->state = (int) lt_sq_get_range(q, 11, LETHE_STATE_LIVE, LETHE_STATE_SHREDDED);
	o->shredded_at = lt_sq_get_int(q, 12);
	o->seg_log2 = (unsigned) lt_sq_get_range(q, 13, 0, 63);
	o->locked = lt_sq_get_int(q, 14) != 0;
	if (!lt_sq_get_null(q, 15)) {
		size_t n = (size_t) sqlite3_column_bytes(q->st, 15);

		if (n < LT_NAME_ENC_MIN || n > LT_NAME_ENC_MAX)
			n = 0; /* the CHECK constraint was dropped: read as empty, fails its MAC */
		lt_sq_get_blob(q, 15, o->name_enc, n, &o->has_name_enc);
		o->name_enc_len = n;
	}
	lt_sq_get_blob(q, 16, o->name_commit, sizeof(o->name_commit), &o->has_name_commit);
	lt_sq_get_blob(q, OBJ_COL_MAC, o->mac, sizeof(o->mac), &o->has_mac);
}

/* The row's MAC checked (a handle without keys checks nothing). */
static enum lethe_err obj_verify(struct lt_db *db, const struct lt_db_object *o)
{
	struct lt_rowenc e;

	if (!lt_sq_keyed(db))
		return LETHE_OK;
	lt_rowenc_object(&e, o);
	return lt_sq_verify(db, LT_ROW_OBJECTS, o->id, &e, o->mac, o->has_mac);
}

static void obj_encode(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap)
{
	struct lt_db_object o;

	obj_row(q, &o);
	snprintf(key, keycap, "%s", o.id);
	lt_rowenc_object(e, &o);
}

const struct lt_sq_table lt_sq_object_table =
    LT_SQ_TABLE(LT_ROW_OBJECTS, "objects", OBJ_COLS, OBJ_COL_MAC, obj_encode);

static enum lethe_err object_check(const struct lt_db_object *obj)
{
	if (!lt_uuid_valid(obj->id))
		return lt_err(LETHE_ERR_INVALID, "object id is not a lowercase UUID");
	if (strnlen(obj->group, sizeof(obj->group)) == sizeof(obj->group) ||
	    strnlen(obj->name, sizeof(obj->name)) == sizeof(obj->name) ||
	    strnlen(obj->hold_reason, sizeof(obj->hold_reason)) == sizeof(obj->hold_reason))
		return lt_err(LETHE_ERR_INVALID, "object %s: unterminated field", obj->id);
	if (obj->state != LETHE_STATE_LIVE || !obj->has_dek || obj->kek_version == 0)
		return lt_err(LETHE_ERR_INVALID,
			      "object %s: a new object is live and has a wrapped data key",
			      obj->id);
	if (obj->size > INT64_MAX)
		return lt_err(LETHE_ERR_INVALID, "object %s: size out of range", obj->id);
	return LETHE_OK;
}

static enum lethe_err object_insert_row(struct lt_db *db, const struct lt_db_object *obj)
{
	struct lt_db_object row = *obj;
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool keyed = lt_sq_keyed(db);
	enum lethe_err rc;

	/* the row as stored: live, never shredded */
	row.shredded_at = 0;
	if (keyed) {
		lt_rowenc_object(&e, &row);
		rc = lt_sq_mac(db, &e, mac);
		if (rc != LETHE_OK)
			return rc;
	}
	rc = lt_sq_open(&q, db, &sq_insert);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, obj->id, sizeof(obj->id));
	lt_sq_text(&q, 2, obj->group, sizeof(obj->group));
	lt_sq_text(&q, 3, obj->name, sizeof(obj->name));
	lt_sq_int(&q, 4, (int64_t) obj->size);
	lt_sq_blob(&q, 5, obj->sha256, sizeof(obj->sha256));
	lt_sq_int(&q, 6, obj->created_at);
	lt_sq_int(&q, 7, obj->retain_until);
	lt_sq_int(&q, 8, obj->hold ? 1 : 0);
	lt_sq_text(&q, 9, obj->hold_reason, sizeof(obj->hold_reason));
	lt_sq_int(&q, 10, obj->kek_version);
	lt_sq_blob(&q, 11, obj->wrapped_dek, sizeof(obj->wrapped_dek));
	lt_sq_int(&q, 12, obj->seg_log2);
	lt_sq_int(&q, 13, obj->locked ? 1 : 0);
	if (obj->has_name_enc)
		lt_sq_blob(&q, 14, obj->name_enc, obj->name_enc_len);
	if (obj->has_name_commit)
		lt_sq_blob(&q, 15, obj->name_commit, sizeof(obj->name_commit));
	if (keyed)
		lt_sq_blob(&q, 16, mac, sizeof(mac));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	if (rc == LETHE_ERR_EXISTS)
		lt_err_prefix("object %s", obj->id);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, LT_ROW_OBJECTS, NULL, keyed ? mac : NULL);
	return rc;
}

enum lethe_err lt_db_object_insert(struct lt_db *db, const struct lt_db_object *obj)
{
	bool own;
	enum lethe_err rc;

	rc = object_check(obj);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, object_insert_row(db, obj));
}

enum lethe_err lt_db_object_get(struct lt_db *db, const char *id, struct lt_db_object *out)
{
	char key[LETHE_ID_LEN + 1];
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	/* @p id may be out->id, which the memset below clears */
	snprintf(key, sizeof(key), "%s", id ? id : "");
	memset(out, 0, sizeof(*out));
	rc = lt_sq_open(&q, db, &sq_get);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, key, sizeof(key));
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && !row)
		rc = lt_err(LETHE_ERR_NOT_FOUND, "no object %s", key);
	if (rc == LETHE_OK) {
		obj_row(&q, out);
		rc = q.err;
	}
	lt_sq_close(&q);
	if (rc == LETHE_ERR_DATABASE)
		lt_err_prefix("object %s", key);
	if (rc == LETHE_OK)
		rc = obj_verify(db, out);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Scans                                                                                    */

/* What a scan keys its pages on (the ORDER BY of its query). */
/* KEY_ROWID_ALL: by rowid like KEY_ROWID, without the bound (?4) of a KEK version */
enum scan_key { KEY_CREATED, KEY_EXPIRY, KEY_ID, KEY_ROWID, KEY_ROWID_ALL };

struct obj_scan {
	enum scan_key key;
	const char *group;     /* sq_list_group: ?6 */
	int64_t bound;         /* ?4: expired_before, now, or the KEK version */
	bool include_shredded; /* ?5 */
};

static void scan_bind(struct lt_sq_query *q, const struct lt_sq_pager *p)
{
	const struct obj_scan *s = p->ctx;

	if (s->key == KEY_ID || s->key == KEY_ROWID_ALL)
		return;
	lt_sq_int(q, 4, s->bound);
	if (s->key == KEY_CREATED)
		lt_sq_int(q, 5, s->include_shredded ? 1 : 0);
	if (s->group)
		lt_sq_text(q, 6, s->group, LETHE_GROUP_MAX + 1);
}

/*
 * A row of a scan: read and checked, and delivered even when it fails (o->bad says why), so
 * that one malformed or modified row costs its own object, not the scan. The position comes
 * from the raw columns, whatever they hold.
 */
static void scan_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	const struct obj_scan *s = p->ctx;
	struct lt_db_object *o = row;
	const unsigned char *raw_id;
	enum lethe_err rc;

	obj_row(q, o);
	rc = q->err;
	q->err = LETHE_OK;
	if (rc == LETHE_ERR_NOMEM) {
		q->err = rc;
		return;
	}
	if (rc == LETHE_OK)
		rc = obj_verify(q->db, o);
	else
		lt_err_prefix("object %s", o->id);
	/* only the row's own fault is delivered: a failing MAC computation stops the scan */
	if (rc != LETHE_OK && rc != LETHE_ERR_INTEGRITY && rc != LETHE_ERR_DATABASE) {
		q->err = rc;
		return;
	}
	if (rc != LETHE_OK) {
		o->bad = rc;
		lt_err_keep(o->bad_detail, sizeof(o->bad_detail));
		lt_err_clear();
	}
	raw_id = sqlite3_column_text(q->st, 0);
	snprintf(p->pos_id, sizeof(p->pos_id), "%s", raw_id ? (const char *) raw_id : "");
	switch (s->key) {
	case KEY_CREATED:
		p->pos = lt_sq_get_int(q, 5);
		break;
	case KEY_EXPIRY:
		p->pos = lt_sq_get_int(q, 6);
		break;
	case KEY_ROWID:
	case KEY_ROWID_ALL:
		p->pos = lt_sq_get_int(q, OBJ_COL_ROWID);
		break;
	case KEY_ID:
		break;
	}
}

/* A scan of @p s by @p query delivering up to @p limit rows to @p fn. */
static void scan_init(struct lt_sq_pager *p, const struct lt_sq *query, struct obj_scan *s,
		      size_t limit, lt_db_object_fn fn, void *ctx)
{
	lt_sq_pager_init(p, query, sizeof(struct lt_db_object), scan_row, LT_SQ_OBJECTS, ctx);
	p->fn.object = fn;
	p->limit = limit;
	p->bind = scan_bind;
	p->ctx = s;
}

enum lethe_err lt_db_object_list(struct lt_db *db, const char *group, int64_t expired_before,
				 bool include_shredded, lt_db_object_fn fn, void *ctx)
{
	struct obj_scan s = {
	    .key = KEY_CREATED,
	    .group = group,
	    .bound = expired_before > 0 ? expired_before : 0,
	    .include_shredded = include_shredded,
	};
	struct lt_sq_pager p;

	scan_init(&p, group ? &sq_list_group : &sq_list_all, &s, SIZE_MAX, fn, ctx);
	p.pos = INT64_MIN;
	return lt_sq_page(db, &p);
}

enum lethe_err lt_db_object_expired(struct lt_db *db, int64_t now, int64_t after_until,
				    const char *after_id, size_t limit, lt_db_object_fn fn,
				    void *ctx)
{
	struct obj_scan s = {.key = KEY_EXPIRY, .bound = now};
	struct lt_sq_pager p;

	scan_init(&p, &sq_expired, &s, limit, fn, ctx);
	p.pos = after_until;
	snprintf(p.pos_id, sizeof(p.pos_id), "%s", after_id ? after_id : "");
	return lt_sq_page(db, &p);
}

enum lethe_err lt_db_object_live_by_id(struct lt_db *db, const char *after_id, size_t limit,
				       lt_db_object_fn fn, void *ctx)
{
	struct obj_scan s = {.key = KEY_ID};
	struct lt_sq_pager p;

	scan_init(&p, &sq_by_id, &s, limit, fn, ctx);
	snprintf(p.pos_id, sizeof(p.pos_id), "%s", after_id ? after_id : "");
	return lt_sq_page(db, &p);
}

enum lethe_err lt_db_object_with_dek(struct lt_db *db, lt_db_object_fn fn, void *ctx)
{
	struct obj_scan s = {.key = KEY_ROWID_ALL};
	struct lt_sq_pager p;

	scan_init(&p, &sq_with_dek, &s, SIZE_MAX, fn, ctx);
	p.pos = 0;
	return lt_sq_page(db, &p);
}

enum lethe_err lt_db_object_live_totals(struct lt_db *db, const char *after_id, uint64_t *count,
					uint64_t *bytes)
{
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	*count = 0;
	*bytes = 0;
	rc = lt_sq_open(&q, db, &sq_totals_after);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, after_id ? after_id : "", LETHE_ID_LEN + 1);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row) {
		*count = (uint64_t) lt_sq_get_range(&q, 0, 0, INT64_MAX);
		*bytes = (uint64_t) lt_sq_get_range(&q, 1, 0, INT64_MAX);
		rc = q.err;
	}
	lt_sq_close(&q);
	return rc;
}

/*
 * Versions below the primary, then above it (a KEK inserted without becoming primary); within
 * a version, storage (rowid) order, so a batch of rewraps dirties each table page once instead
 * of one page per row. Every step is an index seek: a batch costs what it returns.
 */
enum lethe_err lt_db_object_not_under(struct lt_db *db, uint32_t primary_version, size_t limit,
				      lt_db_object_fn fn, void *ctx)
{
	struct obj_scan s = {.key = KEY_ROWID};
	struct lt_sq_pager p;
	int64_t version = 0;
	enum lethe_err rc = LETHE_OK;

	scan_init(&p, &sq_kek_page, &s, limit, fn, ctx);
	for (int side = 0; side < 2; side++) {
		int64_t above = side == 0 ? 0 : primary_version;
		int64_t below = side == 0 ? (int64_t) primary_version : INT64_MAX;

		while (rc == LETHE_OK && !p.stopped && p.limit > 0) {
			/* the lowest version in (above, below) that still wraps a live DEK */
			rc = lt_sq_query_int(db, &sq_kek_next, NULL, above, below, &version);
			if (rc != LETHE_OK || version == 0)
				break;
			s.bound = version;
			p.pos = 0;
			rc = lt_sq_page(db, &p);
			above = version;
		}
	}
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Changes                                                                                  */

/* A change to one object's row: @p fn edits @p row (read and checked) or refuses; @p update
 * writes the columns it may change. */
struct obj_change {
	enum lethe_err (*fn)(struct lt_db *db, struct lt_db_object *row, void *ctx);
	const struct lt_sq *update;
	bool one_statement; /* @p fn writes nothing itself: lt_sq_call1_begin() */
};

/* Write @p row, changed from the stored row whose MAC was @p old_mac. */
static enum lethe_err object_write(struct lt_db *db, const struct lt_sq *update,
				   const struct lt_db_object *row, const uint8_t *old_mac,
				   bool had_mac)
{
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool keyed = lt_sq_keyed(db);
	enum lethe_err rc;

	if (keyed) {
		lt_rowenc_object(&e, row);
		rc = lt_sq_mac(db, &e, mac);
		if (rc != LETHE_OK)
			return rc;
	}
	rc = lt_sq_open(&q, db, update);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, row->id, sizeof(row->id));
	lt_sq_int(&q, 2, row->hold ? 1 : 0);
	lt_sq_text(&q, 3, row->hold_reason, sizeof(row->hold_reason));
	lt_sq_int(&q, 4, row->retain_until);
	if (row->kek_version)
		lt_sq_int(&q, 5, row->kek_version);
	if (row->has_dek)
		lt_sq_blob(&q, 6, row->wrapped_dek, sizeof(row->wrapped_dek));
	lt_sq_int(&q, 7, row->state);
	lt_sq_int(&q, 8, row->shredded_at);
	if (keyed)
		lt_sq_blob(&q, 9, mac, sizeof(mac));
	if (had_mac)
		lt_sq_blob(&q, 10, old_mac, LT_ROWMAC_LEN);
	if (update == &sq_set_name) {
		if (row->has_name_enc)
			lt_sq_blob(&q, 11, row->name_enc, row->name_enc_len);
		lt_sq_blob(&q, 12, row->name_commit, sizeof(row->name_commit));
	}
	rc = lt_sq_exec(&q);
	if (rc == LETHE_OK && lt_sq_changes(&q) != 1)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: object %s: its row changed between its read and its update",
			    db->path, row->id);
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, LT_ROW_OBJECTS, had_mac ? old_mac : NULL,
					 keyed ? mac : NULL);
	return rc;
}

/* Read (checked), change, write: inside a transaction (the caller's, or its own). @p known is
 * the row as the caller read it in its transaction, or NULL to read it here. */
static enum lethe_err object_rmw_rows(struct lt_db *db, const char *id,
				      const struct lt_db_object *known,
				      const struct obj_change *change, void *ctx)
{
	struct lt_db_object *row = malloc(sizeof(*row));
	uint8_t old_mac[LT_ROWMAC_LEN];
	bool had_mac;
	enum lethe_err rc = LETHE_OK;

	if (!row)
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", db->path);
	if (known && known->bad == LETHE_OK)
		*row = *known;
	else
		rc = lt_db_object_get(db, id, row);
	if (rc == LETHE_ERR_NOT_FOUND)
		rc = lt_err(LETHE_ERR_NOT_FOUND, "no object %.*s", LETHE_ID_LEN, id);
	if (rc != LETHE_OK)
		goto out;
	had_mac = row->has_mac;
	memcpy(old_mac, row->mac, sizeof(old_mac));
	rc = change->fn(db, row, ctx);
	if (rc == LETHE_OK)
		rc = object_write(db, change->update, row, old_mac, had_mac);
out:
	free(row);
	return rc;
}

static enum lethe_err object_rmw(struct lt_db *db, const char *id, const struct lt_db_object *known,
				 const struct obj_change *change, void *ctx)
{
	bool own;
	enum lethe_err rc;

	if (change->one_statement) {
		rc = lt_sq_call1_begin(db, LT_ROW_OBJECTS, &own);
		if (rc != LETHE_OK)
			return rc;
		return lt_sq_call1_end(db, own, object_rmw_rows(db, id, known, change, ctx));
	}
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, object_rmw_rows(db, id, known, change, ctx));
}

static enum lethe_err need_live(const struct lt_db_object *row)
{
	if (row->state != LETHE_STATE_LIVE)
		return lt_err(LETHE_ERR_SHREDDED, "object %s has been shredded", row->id);
	return LETHE_OK;
}

/* The shred: the hold checks (the object's and its group's, read checked) and the key's
 * destruction happen in one step; the DEK's bytes are freed by the update and zeroed by
 * secure_delete, and the unlink is queued in the same transaction, so a crash never leaves a
 * keyless file nobody will remove. */
static enum lethe_err shred_edit(struct lt_db *db, struct lt_db_object *row, void *ctx)
{
	int64_t now = *(const int64_t *) ctx;
	bool group_held = false;
	enum lethe_err rc = need_live(row);

	if (rc != LETHE_OK)
		return rc;
	if (row->hold)
		return lt_err(LETHE_ERR_HELD, "object %s is on legal hold", row->id);
	rc = lt_db_group_hold_get(db, row->group, &group_held, NULL);
	if (rc != LETHE_OK)
		return rc;
	if (group_held)
		return lt_err(LETHE_ERR_HELD, "the group of object %s is on legal hold", row->id);
	row->kek_version = 0;
	row->has_dek = false;
	memset(row->wrapped_dek, 0, sizeof(row->wrapped_dek));
	row->state = LETHE_STATE_SHREDDED;
	row->shredded_at = now;
	row->name[0] = '\0';
	row->has_name_enc = false;
	row->name_enc_len = 0;
	memset(row->name_enc, 0, sizeof(row->name_enc));
	return lt_sq_unlink_queue(db, row->id);
}

static const struct obj_change chg_shred = {shred_edit, &sq_set_shred, false};

enum lethe_err lt_db_object_shred(struct lt_db *db, const char *id, int64_t now)
{
	return object_rmw(db, id, NULL, &chg_shred, &now);
}

enum lethe_err lt_db_object_shred_row(struct lt_db *db, const struct lt_db_object *row, int64_t now)
{
	return object_rmw(db, row->id, row, &chg_shred, &now);
}

struct hold_change {
	bool hold;
	const char *reason;
};

static enum lethe_err hold_edit(struct lt_db *db, struct lt_db_object *row, void *ctx)
{
	const struct hold_change *h = ctx;

	(void) db;
	if (h->hold && row->state != LETHE_STATE_LIVE)
		return need_live(row);
	row->hold = h->hold;
	/* clearing keeps no reason */
	snprintf(row->hold_reason, sizeof(row->hold_reason), "%.*s", LETHE_REASON_MAX,
		 h->hold && h->reason ? h->reason : "");
	return LETHE_OK;
}

static const struct obj_change chg_hold = {hold_edit, &sq_set_hold, true};

enum lethe_err lt_db_object_set_hold(struct lt_db *db, const char *id, bool hold,
				     const char *reason)
{
	struct hold_change h = {hold, reason};

	return object_rmw(db, id, NULL, &chg_hold, &h);
}

static enum lethe_err until_edit(struct lt_db *db, struct lt_db_object *row, void *ctx)
{
	int64_t until = *(const int64_t *) ctx;
	enum lethe_err rc = need_live(row);

	(void) db;
	if (rc != LETHE_OK)
		return rc;
	if (until < row->retain_until)
		return lt_err(LETHE_ERR_SHORTENS,
			      "object %s: the new retain-until is earlier than the current one",
			      row->id);
	row->retain_until = until;
	return LETHE_OK;
}

static const struct obj_change chg_until = {until_edit, &sq_set_until, true};

enum lethe_err lt_db_object_set_retain_until(struct lt_db *db, const char *id, int64_t until)
{
	return object_rmw(db, id, NULL, &chg_until, &until);
}

/* A group-wide extension: every live row of the group, read checked, changed one by one in
 * one transaction; a row that fails its check refuses the whole extension. */
struct group_extend {
	struct lt_db *db;
	bool by; /* retain_until += value, else max(retain_until, value) */
	int64_t value;
	uint64_t changed;
	enum lethe_err rc;
};

static enum lethe_err extend_edit(struct lt_db *db, struct lt_db_object *row, void *ctx)
{
	const struct group_extend *g = ctx;

	(void) db;
	row->retain_until = g->by ? row->retain_until + g->value : g->value;
	return LETHE_OK;
}

static const struct obj_change chg_extend = {extend_edit, &sq_set_until, true};

static int extend_one(const struct lt_db_object *obj, void *vctx)
{
	struct group_extend *g = vctx;

	if (obj->bad != LETHE_OK) {
		g->rc = lt_err(obj->bad, "%s", obj->bad_detail);
		return 1;
	}
	if (obj->state != LETHE_STATE_LIVE || (!g->by && obj->retain_until >= g->value))
		return 0;
	g->rc = object_rmw_rows(g->db, obj->id, obj, &chg_extend, g);
	if (g->rc != LETHE_OK)
		return 1;
	g->changed++;
	return 0;
}

static enum lethe_err group_extend_rows(struct lt_db *db, const char *group, struct group_extend *g)
{
	int64_t overflow = 0;
	enum lethe_err rc = LETHE_OK;

	/* SQLite would turn an overflowing sum into a REAL; refuse before anything changes */
	if (g->by)
		rc = lt_sq_query_int(db, &sq_group_overflow, group, 0, INT64_MAX - g->value,
				     &overflow);
	if (rc == LETHE_OK && overflow)
		rc = lt_err(LETHE_ERR_INVALID,
			    "group %s: extending by %lld s overflows a retain-until", group,
			    (long long) g->value);
	if (rc == LETHE_OK)
		rc = lt_db_object_list(db, group, 0, false, extend_one, g);
	if (rc == LETHE_OK)
		rc = g->rc;
	return rc;
}

static enum lethe_err group_extend(struct lt_db *db, const char *group, bool by, int64_t value,
				   uint64_t *changed)
{
	struct group_extend g = {.db = db, .by = by, .value = value};
	bool own;
	enum lethe_err rc;

	*changed = 0;
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_sq_call_end(db, own, group_extend_rows(db, group, &g));
	if (rc == LETHE_OK)
		*changed = g.changed;
	return rc;
}

enum lethe_err lt_db_group_extend_until(struct lt_db *db, const char *group, int64_t until,
					uint64_t *changed)
{
	return group_extend(db, group, false, until, changed);
}

enum lethe_err lt_db_group_extend_by(struct lt_db *db, const char *group, int64_t by,
				     uint64_t *changed)
{
	*changed = 0;
	if (by <= 0)
		return lt_err(LETHE_ERR_INVALID,
			      "retention can only be extended by a positive duration");
	return group_extend(db, group, true, by, changed);
}

struct dek_change {
	uint32_t kek_version;
	const uint8_t *wrapped;
};

static enum lethe_err dek_edit(struct lt_db *db, struct lt_db_object *row, void *ctx)
{
	const struct dek_change *d = ctx;
	enum lethe_err rc = need_live(row);

	(void) db;
	if (rc != LETHE_OK)
		return rc;
	row->kek_version = d->kek_version;
	memcpy(row->wrapped_dek, d->wrapped, sizeof(row->wrapped_dek));
	row->has_dek = true;
	return LETHE_OK;
}

static const struct obj_change chg_dek = {dek_edit, &sq_set_dek, true};

enum lethe_err lt_db_object_set_dek(struct lt_db *db, const char *id, uint32_t kek_version,
				    const uint8_t wrapped[LT_WRAPPED_LEN])
{
	struct dek_change d = {kek_version, wrapped};

	return object_rmw(db, id, NULL, &chg_dek, &d);
}

enum lethe_err lt_db_object_set_dek_row(struct lt_db *db, const struct lt_db_object *row,
					uint32_t kek_version, const uint8_t wrapped[LT_WRAPPED_LEN])
{
	struct dek_change d = {kek_version, wrapped};

	return object_rmw(db, row->id, row, &chg_dek, &d);
}

enum lethe_err lt_db_object_count(struct lt_db *db, int state, uint64_t *count)
{
	int64_t n = 0;
	enum lethe_err rc;

	*count = 0;
	if (state != LETHE_STATE_LIVE && state != LETHE_STATE_SHREDDED)
		return lt_err(LETHE_ERR_INVALID, "no object state %d", state);
	rc = lt_sq_query_int(db, state == LETHE_STATE_LIVE ? &sq_count_live : &sq_count_shredded,
			     NULL, 0, 0, &n);
	*count = (uint64_t) n;
	return rc;
}

struct name_change {
	const uint8_t *enc;
	size_t len;
	const uint8_t *commit;
};

static enum lethe_err name_edit(struct lt_db *db, struct lt_db_object *row, void *ctx)
{
	const struct name_change *n = ctx;

	(void) db;
	if (row->has_name_commit)
		return lt_err(LETHE_ERR_INTEGRITY, "object %s: its name was converted already",
			      row->id);
	if (n->enc && (n->len < LT_NAME_ENC_MIN || n->len > LT_NAME_ENC_MAX))
		return lt_err(LETHE_ERR_INVALID, "object %s: encrypted name of %zu bytes", row->id,
			      n->len);
	row->name[0] = '\0';
	row->has_name_enc = n->enc != NULL;
	row->name_enc_len = n->enc ? n->len : 0;
	if (n->enc)
		memcpy(row->name_enc, n->enc, n->len);
	row->has_name_commit = true;
	memcpy(row->name_commit, n->commit, sizeof(row->name_commit));
	return LETHE_OK;
}

static const struct obj_change chg_name = {name_edit, &sq_set_name, false};

enum lethe_err lt_db_object_set_name_row(struct lt_db *db, const struct lt_db_object *row,
					 const uint8_t *name_enc, size_t name_enc_len,
					 const uint8_t commit[LT_SHA256_LEN])
{
	struct name_change n = {name_enc, name_enc_len, commit};

	return object_rmw(db, row->id, row, &chg_name, &n);
}

enum lethe_err lt_db_object_unconverted_names(struct lt_db *db, size_t limit, lt_db_object_fn fn,
					      void *ctx)
{
	struct obj_scan s = {.key = KEY_ROWID_ALL};
	struct lt_sq_pager p;

	scan_init(&p, &sq_unconverted, &s, limit, fn, ctx);
	p.pos = 0;
	return lt_sq_page(db, &p);
}
