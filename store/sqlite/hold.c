/* hold.c - holds: legal holds on objects and on whole groups, one row per case reference, so
 * that holds stack and each is cleared on its own (objects.hold, object.c, says whether an
 * object has one of its own). A missing row means "no hold", so the table is checked against
 * its digest before an absent row is believed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

static const struct lt_sq sq_hold_add = {
    SQ_HOLD_ADD, "hold",
    "INSERT INTO holds (object, grp, ref, set_at, set_by, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (object, grp, ref) DO NOTHING"};
static const struct lt_sq sq_hold_get = {
    SQ_HOLD_GET, "hold",
    "SELECT object, grp, ref, set_at, set_by, mac FROM holds WHERE object = ?1 AND grp = ?2 "
    "AND ref = ?3"};
static const struct lt_sq sq_hold_remove = {
    SQ_HOLD_REMOVE, "hold",
    "DELETE FROM holds WHERE object = ?1 AND grp = ?2 AND ref = ?3 AND mac IS ?4"};
/* object = '' for a group's holds (?1 ''), grp = '' for an object's (?2 ''): the primary key
 * index serves both. Each matched as text and as a BLOB of the same bytes: a cast keeps the
 * MAC but would hide the hold from an equality (query.c refuses the cast row when read). */
static const struct lt_sq sq_hold_of = {
    SQ_HOLD_OF, "holds",
    "SELECT object, grp, ref, set_at, set_by, mac FROM holds WHERE object IN (?1, CAST(?1 AS "
    "BLOB)) AND grp IN (?2, CAST(?2 AS BLOB)) ORDER BY set_at, rowid"};
static const struct lt_sq sq_hold_all = {
    SQ_HOLD_ALL, "holds",
    "SELECT object, grp, ref, set_at, set_by, mac FROM holds ORDER BY object, grp, set_at, "
    "rowid"};

static void hold_read_row(struct lt_sq_query *q, struct lt_db_hold *h)
{
	memset(h, 0, sizeof(*h));
	lt_sq_get_text(q, 0, h->object, sizeof(h->object));
	lt_sq_get_text(q, 1, h->group, sizeof(h->group));
	lt_sq_get_text(q, 2, h->ref, sizeof(h->ref));
	h->set_at = lt_sq_get_int(q, 3);
	lt_sq_get_text(q, 4, h->set_by, sizeof(h->set_by));
}

static void hold_encode(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap)
{
	struct lt_db_hold h;

	hold_read_row(q, &h);
	/* "object-or-group/reference", cut to keycap */
	size_t n = 0;
	for (const char *p = h.object[0] ? h.object : h.group; *p && n + 1 < keycap; p++)
		key[n++] = *p;
	for (const char *p = "/"; *p && n + 1 < keycap; p++)
		key[n++] = *p;
	for (const char *p = h.ref; *p && n + 1 < keycap; p++)
		key[n++] = *p;
	if (keycap)
		key[n] = '\0';
	lt_rowenc_hold(e, &h);
}

const struct lt_sq_table lt_sq_hold_table =
    LT_SQ_TABLE(LT_ROW_HOLDS, "holds", "object, grp, ref, set_at, set_by, mac", 5, hold_encode);

/* The current row of @p q into @p h, its MAC checked (and returned in @p mac). */
static enum lethe_err hold_checked(struct lt_db *db, struct lt_sq_query *q, struct lt_db_hold *h,
				   uint8_t mac[LT_ROWMAC_LEN], bool *has_mac)
{
	struct lt_rowenc e;
	char key[128];

	hold_encode(q, &e, key, sizeof(key));
	hold_read_row(q, h);
	lt_sq_get_blob(q, 5, mac, LT_ROWMAC_LEN, has_mac);
	if (q->err != LETHE_OK) {
		lt_rowenc_free(&e);
		return q->err;
	}
	return lt_sq_verify(db, LT_ROW_HOLDS, key, &e, mac, *has_mac);
}

/* The holds of one target (object @p object, or group @p group), oldest first, or all of them,
 * each checked; copied out before @p fn sees them (which may call back into the store), and
 * @p fn may stop the walk by returning non-zero. */
static enum lethe_err holds_of(struct lt_db *db, const char *object, const char *group,
			       lt_db_hold_fn fn, void *ctx)
{
	struct lt_db_hold *rows = NULL, *more;
	struct lt_sq_query q;
	uint8_t mac[LT_ROWMAC_LEN];
	size_t n = 0, cap = 0;
	bool row = true, has_mac;
	enum lethe_err rc;

	rc = lt_sq_table_verify(db, LT_ROW_HOLDS);
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, object || group ? &sq_hold_of : &sq_hold_all);
	if (rc != LETHE_OK)
		return rc;
	if (object || group) {
		lt_sq_text(&q, 1, object ? object : "", LETHE_ID_LEN + 1);
		lt_sq_text(&q, 2, object ? "" : group, LETHE_GROUP_MAX + 1);
	}
	while (rc == LETHE_OK) {
		rc = lt_sq_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			more = realloc(rows, cap * sizeof(*rows));
			if (!more) {
				rc = lt_err(LETHE_ERR_NOMEM, "%s: out of memory for holds",
					    db->path);
				break;
			}
			rows = more;
		}
		rc = hold_checked(db, &q, &rows[n], mac, &has_mac);
		if (rc == LETHE_OK)
			n++;
	}
	lt_sq_close(&q);
	for (size_t i = 0; rc == LETHE_OK && i < n; i++)
		if (fn(&rows[i], ctx))
			break;
	free(rows);
	return rc;
}

enum lethe_err lt_db_hold_list(struct lt_db *db, const char *object, const char *group,
			       lt_db_hold_fn fn, void *ctx)
{
	return holds_of(db, object, group, fn, ctx);
}

struct newest {
	bool held;
	char ref[LETHE_REASON_MAX + 1];
};

static int keep_newest(const struct lt_db_hold *h, void *vctx)
{
	struct newest *n = vctx;

	n->held = true;
	memcpy(n->ref, h->ref, sizeof(n->ref));
	return 0;
}

/* Inside a transaction the last group read is kept until it ends or the table changes: a
 * sweep asks about the same group for every object of a batch. */
enum lethe_err lt_db_group_hold_get(struct lt_db *db, const char *group, bool *held,
				    char reason[LETHE_REASON_MAX + 1])
{
	struct newest n = {0};
	bool in_tx = lt_sq_in_tx(db);
	enum lethe_err rc;

	*held = false;
	if (reason)
		reason[0] = '\0';
	if (in_tx && db->auth.ghold.known &&
	    strncmp(db->auth.ghold.group, group, sizeof(db->auth.ghold.group)) == 0) {
		*held = db->auth.ghold.held;
		if (reason)
			memcpy(reason, db->auth.ghold.reason, LETHE_REASON_MAX + 1);
		return LETHE_OK;
	}
	if (!*group)
		return LETHE_OK; /* "" names no group (and would list object holds) */
	rc = holds_of(db, NULL, group, keep_newest, &n);
	if (rc != LETHE_OK)
		return rc;
	*held = n.held;
	if (reason)
		memcpy(reason, n.ref, sizeof(n.ref));
	if (in_tx && strnlen(group, LETHE_GROUP_MAX + 1) <= LETHE_GROUP_MAX) {
		db->auth.ghold.known = true;
		db->auth.ghold.held = n.held;
		snprintf(db->auth.ghold.group, sizeof(db->auth.ghold.group), "%s", group);
		memcpy(db->auth.ghold.reason, n.ref, sizeof(n.ref));
	}
	return LETHE_OK;
}

/* The row (object, group, ref), checked: *found, and its MAC. */
static enum lethe_err hold_find(struct lt_db *db, const char *object, const char *group,
				const char *ref, bool *found, uint8_t mac[LT_ROWMAC_LEN],
				bool *has_mac)
{
	struct lt_db_hold h;
	struct lt_sq_query q;
	enum lethe_err rc;

	*found = false;
	*has_mac = false;
	rc = lt_sq_table_verify(db, LT_ROW_HOLDS);
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, &sq_hold_get);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, object, LETHE_ID_LEN + 1);
	lt_sq_text(&q, 2, group, LETHE_GROUP_MAX + 1);
	lt_sq_text(&q, 3, ref, LETHE_REASON_MAX + 1);
	rc = lt_sq_step(&q, found);
	if (rc == LETHE_OK && *found)
		rc = hold_checked(db, &q, &h, mac, has_mac);
	lt_sq_close(&q);
	return rc;
}

static enum lethe_err hold_add_rows(struct lt_db *db, const struct lt_db_hold *h, bool *added)
{
	uint8_t old[LT_ROWMAC_LEN], mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool found = false, had_mac = false, keyed = lt_sq_keyed(db);
	enum lethe_err rc;

	*added = false;
	rc = hold_find(db, h->object, h->group, h->ref, &found, old, &had_mac);
	if (rc != LETHE_OK || found)
		return rc;            /* the same reference again: nothing changes */
	db->auth.ghold.known = false; /* the table changes */
	if (keyed) {
		lt_rowenc_hold(&e, h);
		rc = lt_sq_mac(db, &e, mac);
	}
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, &sq_hold_add);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, h->object, sizeof(h->object));
	lt_sq_text(&q, 2, h->group, sizeof(h->group));
	lt_sq_text(&q, 3, h->ref, sizeof(h->ref));
	lt_sq_int(&q, 4, h->set_at);
	lt_sq_text(&q, 5, h->set_by, sizeof(h->set_by));
	if (keyed)
		lt_sq_blob(&q, 6, mac, sizeof(mac));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, LT_ROW_HOLDS, NULL, keyed ? mac : NULL);
	if (rc == LETHE_OK)
		*added = true;
	return rc;
}

enum lethe_err lt_db_hold_add(struct lt_db *db, const struct lt_db_hold *h, bool *added)
{
	bool own;
	enum lethe_err rc;

	*added = false;
	if ((h->object[0] == '\0') == (h->group[0] == '\0') || !h->ref[0])
		return lt_err(LETHE_ERR_INVALID, "a hold names one object or one group, and a "
						 "reference");
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, hold_add_rows(db, h, added));
}

static enum lethe_err hold_remove_rows(struct lt_db *db, const char *object, const char *group,
				       const char *ref, bool *removed)
{
	uint8_t old[LT_ROWMAC_LEN];
	struct lt_sq_query q;
	bool found = false, had_mac = false;
	enum lethe_err rc;

	*removed = false;
	rc = hold_find(db, object, group, ref, &found, old, &had_mac);
	if (rc != LETHE_OK || !found)
		return rc;
	db->auth.ghold.known = false; /* the table changes */
	rc = lt_sq_open(&q, db, &sq_hold_remove);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, object, LETHE_ID_LEN + 1);
	lt_sq_text(&q, 2, group, LETHE_GROUP_MAX + 1);
	lt_sq_text(&q, 3, ref, LETHE_REASON_MAX + 1);
	if (had_mac)
		lt_sq_blob(&q, 4, old, sizeof(old));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, LT_ROW_HOLDS, had_mac ? old : NULL, NULL);
	if (rc == LETHE_OK)
		*removed = true;
	return rc;
}

enum lethe_err lt_db_hold_remove(struct lt_db *db, const char *object, const char *group,
				 const char *ref, bool *removed)
{
	bool own;
	enum lethe_err rc;

	*removed = false;
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(
	    db, own, hold_remove_rows(db, object ? object : "", object ? "" : group, ref, removed));
}
