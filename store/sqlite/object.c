/* object.c - the objects table: rows of live and shredded objects, the scans over them
 * (listing, expiry, rewrap, scrub), the shred, holds on one object, retention changes. */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/uuid.h"
#include "store/objfile.h"
#include "store/sqlite/sqlite.h"

#define OBJ_COLS                                                                                   \
	"id, grp, name, size, sha256, created_at, retain_until, hold, hold_reason, kek_version, "  \
	"wrapped_dek, state, shredded_at, seg_log2, locked"
/* the column after OBJ_COLS in the rewrap scan */
#define OBJ_COL_ROWID 15

static const struct lt_sq sq_insert = {SQ_OBJ_INSERT, "object insert",
				       "INSERT INTO objects (" OBJ_COLS
				       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
				       "0, 0, ?12, ?13)"};
static const struct lt_sq sq_get = {SQ_OBJ_GET, "object get",
				    "SELECT " OBJ_COLS " FROM objects WHERE id = ?1"};
static const struct lt_sq sq_state = {
    SQ_OBJ_STATE, "object state",
    "SELECT o.state, o.hold, EXISTS (SELECT 1 FROM group_holds g WHERE g.grp = o.grp) "
    "FROM objects o WHERE o.id = ?1"};
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
static const struct lt_sq sq_with_dek = {
    SQ_OBJ_WITH_DEK, "key holders scan",
    "SELECT " OBJ_COLS ", rowid FROM objects NOT INDEXED WHERE rowid > ?1 "
    "AND wrapped_dek IS NOT NULL ORDER BY rowid LIMIT ?3"};
static const struct lt_sq sq_totals_after = {
    SQ_OBJ_TOTALS_AFTER, "scrub totals",
    "SELECT count(*), coalesce(sum(size), 0) FROM objects WHERE state = 0 AND id > ?1"};
static const struct lt_sq sq_shred = {
    SQ_OBJ_SHRED, "object shred",
    "UPDATE objects SET wrapped_dek = NULL, kek_version = NULL, state = 1, shredded_at = ?2 "
    "WHERE id = ?1 AND state = 0 AND hold = 0 AND NOT EXISTS "
    "(SELECT 1 FROM group_holds g WHERE g.grp = objects.grp)"};
static const struct lt_sq sq_hold_set = {
    SQ_OBJ_HOLD_SET, "object hold",
    "UPDATE objects SET hold = 1, hold_reason = ?2 WHERE id = ?1 AND state = 0"};
static const struct lt_sq sq_hold_clear = {
    SQ_OBJ_HOLD_CLEAR, "object hold",
    "UPDATE objects SET hold = 0, hold_reason = ?2 WHERE id = ?1"};
static const struct lt_sq sq_set_until = {
    SQ_OBJ_SET_UNTIL, "retention extend",
    "UPDATE objects SET retain_until = ?2 WHERE id = ?1 AND state = 0 AND retain_until <= ?2"};
static const struct lt_sq sq_group_until = {
    SQ_GROUP_UNTIL, "group extend",
    "UPDATE objects SET retain_until = ?2 WHERE grp = ?1 AND state = 0 AND retain_until < ?2"};
static const struct lt_sq sq_group_overflow = {
    SQ_GROUP_OVERFLOW, "group extend",
    "SELECT EXISTS (SELECT 1 FROM objects WHERE grp = ?1 AND state = 0 "
    "AND retain_until > ?2)"};
static const struct lt_sq sq_group_by = {
    SQ_GROUP_BY, "group extend",
    "UPDATE objects SET retain_until = retain_until + ?2 WHERE grp = ?1 AND state = 0"};
static const struct lt_sq sq_set_dek = {
    SQ_OBJ_SET_DEK, "object set dek",
    "UPDATE objects SET kek_version = ?2, wrapped_dek = ?3 WHERE id = ?1 AND state = 0"};
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
}

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

enum lethe_err lt_db_object_insert(struct lt_db *db, const struct lt_db_object *obj)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	rc = object_check(obj);
	if (rc != LETHE_OK)
		return rc;
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
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	if (rc == LETHE_ERR_EXISTS)
		lt_err_prefix("object %s", obj->id);
	return rc;
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

static void scan_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	const struct obj_scan *s = p->ctx;
	const struct lt_db_object *o = row;

	obj_row(q, row);
	memcpy(p->pos_id, o->id, sizeof(p->pos_id));
	switch (s->key) {
	case KEY_CREATED:
		p->pos = o->created_at;
		break;
	case KEY_EXPIRY:
		p->pos = o->retain_until;
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

/* Why an UPDATE of a live object changed nothing: no such object, shredded, or held. */
static enum lethe_err object_refused(struct lt_db *db, const char *id, bool check_hold)
{
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	rc = lt_sq_open(&q, db, &sq_state);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, id, LETHE_ID_LEN + 1);
	rc = lt_sq_step(&q, &row);
	if (rc != LETHE_OK)
		goto out;
	if (!row)
		rc = lt_err(LETHE_ERR_NOT_FOUND, "no object %.*s", LETHE_ID_LEN, id);
	else if (lt_sq_get_int(&q, 0) != LETHE_STATE_LIVE)
		rc = lt_err(LETHE_ERR_SHREDDED, "object %s has been shredded", id);
	else if (check_hold && lt_sq_get_int(&q, 1))
		rc = lt_err(LETHE_ERR_HELD, "object %s is on legal hold", id);
	else if (check_hold && lt_sq_get_int(&q, 2))
		rc = lt_err(LETHE_ERR_HELD, "the group of object %s is on legal hold", id);
	else
		rc = lt_err(LETHE_ERR_INTERNAL, "object %s: update refused", id);
out:
	lt_sq_close(&q);
	return rc;
}

/*
 * An UPDATE keyed by ?1 = @p key (an object id, or a group) with ?2 = @p text, or @p value
 * when @p text is NULL, and an optional blob ?3; *changed receives the rows it changed.
 */
static enum lethe_err update_rows(struct lt_db *db, const struct lt_sq *def, const char *key,
				  size_t key_max, int64_t value, const char *text, const void *blob,
				  size_t blob_len, int64_t *changed)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	*changed = 0;
	rc = lt_sq_open(&q, db, def);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, key, key_max);
	if (text)
		lt_sq_text(&q, 2, text, LETHE_REASON_MAX);
	else
		lt_sq_int(&q, 2, value);
	if (blob)
		lt_sq_blob(&q, 3, blob, blob_len);
	rc = lt_sq_exec(&q);
	if (rc == LETHE_OK)
		*changed = lt_sq_changes(&q);
	lt_sq_close(&q);
	return rc;
}

static enum lethe_err object_update(struct lt_db *db, const struct lt_sq *def, const char *id,
				    int64_t value, const void *blob, size_t blob_len,
				    int64_t *changed)
{
	return update_rows(db, def, id, LETHE_ID_LEN + 1, value, NULL, blob, blob_len, changed);
}

static enum lethe_err object_shred_rows(struct lt_db *db, const char *id, int64_t now)
{
	int64_t changed = 0;
	enum lethe_err rc;

	rc = object_update(db, &sq_shred, id, now, NULL, 0, &changed);
	if (rc == LETHE_OK && changed == 0)
		rc = object_refused(db, id, true);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_unlink_queue(db, id);
}

/* The DEK's bytes are freed by the UPDATE and zeroed by secure_delete; the unlink is queued in
 * the same transaction, so a crash never leaves a keyless file nobody will remove. */
enum lethe_err lt_db_object_shred(struct lt_db *db, const char *id, int64_t now)
{
	bool own;
	enum lethe_err rc;

	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, object_shred_rows(db, id, now));
}

enum lethe_err lt_db_object_set_hold(struct lt_db *db, const char *id, bool hold,
				     const char *reason)
{
	int64_t changed = 0;
	enum lethe_err rc;

	/* clearing keeps no reason */
	rc = update_rows(db, hold ? &sq_hold_set : &sq_hold_clear, id, LETHE_ID_LEN + 1, 0,
			 hold && reason ? reason : "", NULL, 0, &changed);
	if (rc == LETHE_OK && changed == 0)
		rc = object_refused(db, id, false);
	return rc;
}

enum lethe_err lt_db_object_set_retain_until(struct lt_db *db, const char *id, int64_t until)
{
	int64_t changed = 0;
	enum lethe_err rc;

	rc = object_update(db, &sq_set_until, id, until, NULL, 0, &changed);
	if (rc != LETHE_OK || changed)
		return rc;
	rc = object_refused(db, id, false);
	if (rc == LETHE_ERR_INTERNAL) /* live, so the guard refused: it would shorten */
		rc = lt_err(LETHE_ERR_SHORTENS,
			    "object %s: the new retain-until is earlier than the current one", id);
	return rc;
}

/* A group-wide UPDATE with ?1 = group, ?2 = value. */
static enum lethe_err group_update(struct lt_db *db, const struct lt_sq *def, const char *group,
				   int64_t value, uint64_t *changed)
{
	int64_t n = 0;
	enum lethe_err rc;

	rc = update_rows(db, def, group, LETHE_GROUP_MAX + 1, value, NULL, NULL, 0, &n);
	*changed = (uint64_t) n;
	return rc;
}

enum lethe_err lt_db_group_extend_until(struct lt_db *db, const char *group, int64_t until,
					uint64_t *changed)
{
	return group_update(db, &sq_group_until, group, until, changed);
}

/* SQLite turns an overflowing integer sum into a REAL: refuse before that can happen. */
static enum lethe_err group_extend_rows(struct lt_db *db, const char *group, int64_t by,
					uint64_t *changed)
{
	int64_t overflow = 0;
	enum lethe_err rc;

	rc = lt_sq_query_int(db, &sq_group_overflow, group, 0, INT64_MAX - by, &overflow);
	if (rc == LETHE_OK && overflow)
		rc = lt_err(LETHE_ERR_INVALID,
			    "group %s: extending by %lld s overflows a retain-until", group,
			    (long long) by);
	if (rc == LETHE_OK)
		rc = group_update(db, &sq_group_by, group, by, changed);
	return rc;
}

enum lethe_err lt_db_group_extend_by(struct lt_db *db, const char *group, int64_t by,
				     uint64_t *changed)
{
	bool own;
	enum lethe_err rc;

	*changed = 0;
	if (by <= 0)
		return lt_err(LETHE_ERR_INVALID,
			      "retention can only be extended by a positive duration");
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_sq_call_end(db, own, group_extend_rows(db, group, by, changed));
	if (rc != LETHE_OK)
		*changed = 0;
	return rc;
}

enum lethe_err lt_db_object_set_dek(struct lt_db *db, const char *id, uint32_t kek_version,
				    const uint8_t wrapped[LT_WRAPPED_LEN])
{
	int64_t changed = 0;
	enum lethe_err rc;

	rc = object_update(db, &sq_set_dek, id, kek_version, wrapped, LT_WRAPPED_LEN, &changed);
	if (rc == LETHE_OK && changed == 0)
		rc = object_refused(db, id, false);
	return rc;
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
