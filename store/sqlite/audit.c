/* audit.c - the audit log (append-only, MAC-chained by the caller) and audit_pending, the
 * failures recorded before any key was unlocked. */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

#define AUDIT_COLS "time_us, uid, user, keyslot, pid, host, action, object, grp, outcome, error"

static const struct lt_sq sq_audit_last = {SQ_AUDIT_LAST, "audit last",
					   "SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1"};
static const struct lt_sq sq_audit_latest = {
    SQ_AUDIT_LATEST, "audit latest",
    "SELECT seq, mac FROM audit ORDER BY time_us DESC, seq DESC LIMIT 1"};
/* audit and audit_pending bind the shared fields as ?2..?12 */
static const struct lt_sq sq_audit_insert = {
    SQ_AUDIT_INSERT, "audit insert",
    "INSERT INTO audit (seq, " AUDIT_COLS
    ", mac, unauth, auth_sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"};
static const struct lt_sq sq_audit_page = {SQ_AUDIT_PAGE, "audit list",
					   "SELECT seq, " AUDIT_COLS
					   ", mac, unauth, auth_sig FROM audit WHERE seq >= ?1 AND "
					   "time_us >= ?4 ORDER BY seq LIMIT ?3"};
static const struct lt_sq sq_audit_find_action = {
    SQ_AUDIT_FIND_ACTION, "audit find",
    "SELECT coalesce(min(seq), 0) FROM audit WHERE action = ?1"};
static const struct lt_sq sq_audit_action_last_time = {
    SQ_AUDIT_ACTION_LAST_TIME, "audit last time of action",
    "SELECT coalesce(max(time_us), 0) FROM audit WHERE action = ?1 AND outcome = 'ok'"};
static const struct lt_sq sq_audit_count_outcome = {
    SQ_AUDIT_COUNT_OUTCOME, "audit count by outcome",
    "SELECT count(*) FROM audit WHERE outcome = ?1"};
static const struct lt_sq sq_pending_add = {SQ_PENDING_ADD, "audit pending add",
					    "INSERT INTO audit_pending (" AUDIT_COLS
					    ") VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
					    "?11, ?12)"};
static const struct lt_sq sq_pending_page = {
    SQ_PENDING_PAGE, "audit pending take",
    "SELECT id, " AUDIT_COLS " FROM audit_pending WHERE id > ?1 ORDER BY id LIMIT ?3"};
static const struct lt_sq sq_pending_delete = {SQ_PENDING_DELETE, "audit pending take",
					       "DELETE FROM audit_pending WHERE id = ?1"};

enum lethe_err lt_db_audit_last(struct lt_db *db, uint64_t *seq, uint8_t mac[32])
{
	return lt_sq_last_row(db, &sq_audit_last, seq, mac);
}

enum lethe_err lt_db_audit_latest(struct lt_db *db, uint64_t *seq, uint8_t mac[32])
{
	return lt_sq_last_row(db, &sq_audit_latest, seq, mac);
}

/* The fields audit and audit_pending share, as ?2..?12. */
static void bind_fields(struct lt_sq_query *q, const struct lt_db_audit *r)
{
	lt_sq_int(q, 2, r->time_us);
	lt_sq_int(q, 3, r->uid);
	lt_sq_text(q, 4, r->user, sizeof(r->user));
	lt_sq_text(q, 5, r->keyslot, sizeof(r->keyslot));
	lt_sq_int(q, 6, r->pid);
	lt_sq_text(q, 7, r->host, sizeof(r->host));
	lt_sq_text(q, 8, r->action, sizeof(r->action));
	lt_sq_text(q, 9, r->object, sizeof(r->object));
	lt_sq_text(q, 10, r->group, sizeof(r->group));
	lt_sq_text(q, 11, r->outcome, sizeof(r->outcome));
	lt_sq_text(q, 12, r->error, sizeof(r->error));
}

/* The shared fields from columns 1..11 (column 0 is seq or the pending id). */
static void read_fields(struct lt_sq_query *q, struct lt_db_audit *r)
{
	r->time_us = lt_sq_get_int(q, 1);
	r->uid = (uint32_t) lt_sq_get_range(q, 2, 0, UINT32_MAX);
	lt_sq_get_text(q, 3, r->user, sizeof(r->user));
	lt_sq_get_text(q, 4, r->keyslot, sizeof(r->keyslot));
	r->pid = (int32_t) lt_sq_get_range(q, 5, INT32_MIN, INT32_MAX);
	lt_sq_get_text(q, 6, r->host, sizeof(r->host));
	lt_sq_get_text(q, 7, r->action, sizeof(r->action));
	lt_sq_get_text(q, 8, r->object, sizeof(r->object));
	lt_sq_get_text(q, 9, r->group, sizeof(r->group));
	lt_sq_get_text(q, 10, r->outcome, sizeof(r->outcome));
	lt_sq_get_text(q, 11, r->error, sizeof(r->error));
}

enum lethe_err lt_db_audit_insert(struct lt_db *db, const struct lt_db_audit *rec)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	if (rec->seq == 0 || rec->seq > INT64_MAX)
		return lt_err(LETHE_ERR_INVALID, "audit record seq out of range");
	rc = lt_sq_open(&q, db, &sq_audit_insert);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, (int64_t) rec->seq);
	bind_fields(&q, rec);
	lt_sq_blob(&q, 13, rec->mac, sizeof(rec->mac));
	lt_sq_int(&q, 14, rec->unauthenticated ? 1 : 0);
	if (rec->has_auth_sig) /* left unbound: NULL */
		lt_sq_blob(&q, 15, rec->auth_sig, sizeof(rec->auth_sig));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	return rc;
}

static void bind_since(struct lt_sq_query *q, const struct lt_sq_pager *p)
{
	lt_sq_int(q, 4, *(const int64_t *) p->ctx);
}

/* The position is the next seq wanted (the query asks for seq >= ?1). */
static void audit_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	struct lt_db_audit *r = row;

	memset(r, 0, sizeof(*r));
	r->seq = (uint64_t) lt_sq_get_range(q, 0, 1, INT64_MAX);
	read_fields(q, r);
	lt_sq_get_blob(q, 12, r->mac, sizeof(r->mac), NULL);
	r->unauthenticated = lt_sq_get_range(q, 13, 0, 1) != 0;
	lt_sq_get_blob(q, 14, r->auth_sig, sizeof(r->auth_sig), &r->has_auth_sig);
	p->pos = r->seq < INT64_MAX ? (int64_t) r->seq + 1 : INT64_MAX;
}

enum lethe_err lt_db_audit_list(struct lt_db *db, uint64_t since_seq, int64_t since_time_us,
				lt_db_audit_fn fn, void *ctx)
{
	struct lt_sq_pager p;

	lt_sq_pager_init(&p, &sq_audit_page, sizeof(struct lt_db_audit), audit_row, LT_SQ_AUDIT,
			 ctx);
	p.fn.audit = fn;
	p.pos = since_seq > INT64_MAX ? INT64_MAX : (int64_t) since_seq;
	p.bind = bind_since;
	p.ctx = &since_time_us;
	return lt_sq_page(db, &p);
}

static const struct lt_sq sq_audit_mac_at = {SQ_AUDIT_MAC_AT, "audit get",
					     "SELECT mac FROM audit WHERE seq = ?1"};

enum lethe_err lt_db_audit_mac_at(struct lt_db *db, uint64_t seq, uint8_t mac[32], bool *found)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	*found = false;
	memset(mac, 0, 32);
	if (seq == 0 || seq > INT64_MAX)
		return LETHE_OK;
	rc = lt_sq_open(&q, db, &sq_audit_mac_at);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_int(&q, 1, (int64_t) seq);
	rc = lt_sq_step(&q, found);
	if (rc == LETHE_OK && *found) {
		lt_sq_get_blob(&q, 0, mac, 32, NULL);
		rc = q.err;
	}
	lt_sq_close(&q);
	return rc;
}

/*
 * The newest (or oldest) record of an action on an object or a group. The lookup matches the
 * key as text and as a BLOB of the same bytes, and leaves every other condition to the code
 * below, on the record as read: a record whose columns were cast to a BLOB keeps its MAC but
 * would slip past an SQL equality, and a hold it set would go unseen (the readers refuse such a
 * column). "+object": the group's query must walk audit_group, not every object-less record.
 */
static const struct lt_sq sq_audit_newest_object = {
    SQ_AUDIT_NEWEST_OBJECT, "audit newest",
    "SELECT seq, " AUDIT_COLS ", mac, unauth, auth_sig FROM audit WHERE object IN (?1, CAST(?1 "
    "AS BLOB)) ORDER BY seq DESC"};
static const struct lt_sq sq_audit_newest_group = {
    SQ_AUDIT_NEWEST_GROUP, "audit newest",
    "SELECT seq, " AUDIT_COLS ", mac, unauth, auth_sig FROM audit WHERE grp IN (?1, CAST(?1 AS "
    "BLOB)) AND action IN (?2, CAST(?2 AS BLOB)) AND +object IN ('', x'') ORDER BY seq DESC"};
/* an object's first record of an action: its put, which alone states its terms */
static const struct lt_sq sq_audit_oldest_object = {
    SQ_AUDIT_OLDEST_OBJECT, "audit oldest",
    "SELECT seq, " AUDIT_COLS ", mac, unauth, auth_sig FROM audit WHERE object IN (?1, CAST(?1 "
    "AS BLOB)) ORDER BY seq"};

/* One record of a walk, with its MAC and the officer signature it may carry. */
static void read_record(struct lt_sq_query *q, struct lt_db_audit *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->seq = (uint64_t) lt_sq_get_range(q, 0, 1, INT64_MAX);
	read_fields(q, rec);
	lt_sq_get_blob(q, 12, rec->mac, sizeof(rec->mac), NULL);
	rec->unauthenticated = lt_sq_get_range(q, 13, 0, 1) != 0;
	lt_sq_get_blob(q, 14, rec->auth_sig, sizeof(rec->auth_sig), &rec->has_auth_sig);
}

static enum lethe_err audit_one(struct lt_db *db, const struct lt_sq *sq, const char *object,
				const char *group, const char *action, struct lt_db_audit *rec,
				bool *found)
{
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	*found = false;
	memset(rec, 0, sizeof(*rec));
	rc = lt_sq_open(&q, db, sq);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, object ? object : group,
		   object ? sizeof(rec->object) : sizeof(rec->group));
	if (!object)
		lt_sq_text(&q, 2, action, sizeof(rec->action));
	while ((rc = lt_sq_step(&q, &row)) == LETHE_OK && row) {
		read_record(&q, rec);
		rc = q.err;
		if (rc != LETHE_OK)
			break;
		if (strcmp(rec->action, action) == 0 && strcmp(rec->outcome, "ok") == 0 &&
		    !rec->unauthenticated && (object || rec->object[0] == '\0')) {
			*found = true;
			break;
		}
	}
	if (!*found)
		memset(rec, 0, sizeof(*rec));
	lt_sq_close(&q);
	return rc;
}

enum lethe_err lt_db_audit_newest(struct lt_db *db, const char *object, const char *group,
				  const char *action, struct lt_db_audit *rec, bool *found)
{
	return audit_one(db, object ? &sq_audit_newest_object : &sq_audit_newest_group, object,
			 group, action, rec, found);
}

enum lethe_err lt_db_audit_oldest(struct lt_db *db, const char *object, const char *action,
				  struct lt_db_audit *rec, bool *found)
{
	return audit_one(db, &sq_audit_oldest_object, object, NULL, action, rec, found);
}

/* every hold.set and hold.clear of an object, or of a group ("+object" as above), oldest
 * first; every record of one action of a group after a seq. Matched as text and as BLOBs of
 * the same bytes, the rest filtered on the record as read (as lt_db_audit_newest does). */
static const struct lt_sq sq_audit_holds_object = {
    SQ_AUDIT_HOLDS_OBJECT, "audit holds",
    "SELECT seq, " AUDIT_COLS
    ", mac, unauth, auth_sig FROM audit WHERE object IN (?1, CAST(?1 AS BLOB)) "
    "AND seq > ?3 ORDER BY seq"};
static const struct lt_sq sq_audit_holds_group = {
    SQ_AUDIT_HOLDS_GROUP, "audit holds",
    "SELECT seq, " AUDIT_COLS
    ", mac, unauth, auth_sig FROM audit WHERE grp IN (?1, CAST(?1 AS BLOB)) "
    "AND action IN ('hold.set', 'hold.clear', CAST('hold.set' AS BLOB), "
    "CAST('hold.clear' AS BLOB)) AND +object IN ('', x'') AND seq > ?3 ORDER BY seq"};
static const struct lt_sq sq_audit_group_since = {
    SQ_AUDIT_GROUP_SINCE, "audit group records",
    "SELECT seq, " AUDIT_COLS
    ", mac, unauth, auth_sig FROM audit WHERE grp IN (?1, CAST(?1 AS BLOB)) "
    "AND action IN (?2, CAST(?2 AS BLOB)) AND +object IN ('', x'') AND seq > ?3 ORDER BY seq"};

/* Does @p rec, as read, answer a walk for @p action (NULL: hold.set or hold.clear)? */
static bool walk_wants(const struct lt_db_audit *rec, const char *action, bool group)
{
	if (action ? strcmp(rec->action, action) != 0
		   : strcmp(rec->action, "hold.set") != 0 && strcmp(rec->action, "hold.clear") != 0)
		return false;
	return strcmp(rec->outcome, "ok") == 0 && !rec->unauthenticated &&
	       (!group || rec->object[0] == '\0');
}

static enum lethe_err audit_walk(struct lt_db *db, const struct lt_sq *def, const char *key,
				 size_t keycap, const char *action, uint64_t after, bool group,
				 lt_db_audit_fn fn, void *ctx)
{
	struct lt_db_audit *rec = malloc(sizeof(*rec));
	struct lt_sq_query q;
	bool row = true;
	enum lethe_err rc;

	if (!rec)
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", db->path);
	rc = lt_sq_open(&q, db, def);
	if (rc != LETHE_OK)
		goto out;
	lt_sq_text(&q, 1, key, keycap);
	if (action)
		lt_sq_text(&q, 2, action, sizeof(rec->action));
	lt_sq_int(&q, 3, after > INT64_MAX ? INT64_MAX : (int64_t) after);
	while (rc == LETHE_OK) {
		rc = lt_sq_step(&q, &row);
		if (rc != LETHE_OK || !row)
			break;
		read_record(&q, rec);
		rc = q.err;
		if (rc == LETHE_OK && walk_wants(rec, action, group) && fn(rec, ctx) != 0)
			break;
	}
	lt_sq_close(&q);
out:
	free(rec);
	return rc;
}

enum lethe_err lt_db_audit_holds(struct lt_db *db, const char *object, const char *group,
				 lt_db_audit_fn fn, void *ctx)
{
	struct lt_db_audit *r = NULL;

	if (object)
		return audit_walk(db, &sq_audit_holds_object, object, sizeof(r->object), NULL, 0,
				  false, fn, ctx);
	return audit_walk(db, &sq_audit_holds_group, group, sizeof(r->group), NULL, 0, true, fn,
			  ctx);
}

enum lethe_err lt_db_audit_group_since(struct lt_db *db, const char *group, const char *action,
				       uint64_t after, lt_db_audit_fn fn, void *ctx)
{
	struct lt_db_audit *r = NULL;

	return audit_walk(db, &sq_audit_group_since, group, sizeof(r->group), action, after, true,
			  fn, ctx);
}

enum lethe_err lt_db_audit_find_action(struct lt_db *db, const char *action, uint64_t *seq)
{
	int64_t found = 0;
	enum lethe_err rc;

	rc = lt_sq_query_int(db, &sq_audit_find_action, action, 0, 0, &found);
	*seq = rc == LETHE_OK && found > 0 ? (uint64_t) found : 0;
	return rc;
}

enum lethe_err lt_db_audit_action_last_time(struct lt_db *db, const char *action, int64_t *time_us)
{
	return lt_sq_query_int(db, &sq_audit_action_last_time, action, 0, 0, time_us);
}

enum lethe_err lt_db_audit_count_outcome(struct lt_db *db, const char *outcome, uint64_t *count)
{
	int64_t n = 0;
	enum lethe_err rc;

	rc = lt_sq_query_int(db, &sq_audit_count_outcome, outcome, 0, 0, &n);
	*count = rc == LETHE_OK && n > 0 ? (uint64_t) n : 0;
	return rc;
}

enum lethe_err lt_db_audit_pending_add(struct lt_db *db, const struct lt_db_audit *rec)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	rc = lt_sq_open(&q, db, &sq_pending_add);
	if (rc != LETHE_OK)
		return rc;
	bind_fields(&q, rec);
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	return rc;
}

/* A pending record with its row id. */
struct pending {
	struct lt_db_audit rec;
	int64_t id;
};

static void pending_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	struct pending *r = row;

	memset(r, 0, sizeof(*r));
	r->id = lt_sq_get_int(q, 0);
	read_fields(q, &r->rec);
	p->pos = r->id;
}

/* A record goes once @p fn took it: deleted in the same transaction. */
static int pending_deliver(struct lt_sq_pager *p, void *row)
{
	const struct pending *r = row;
	struct lt_sq_query q;

	if (p->fn.audit(&r->rec, p->fn_ctx))
		return 1;
	p->rc = lt_sq_open(&q, p->ctx, &sq_pending_delete);
	if (p->rc != LETHE_OK)
		return 1;
	lt_sq_int(&q, 1, r->id);
	p->rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	return p->rc != LETHE_OK;
}

enum lethe_err lt_db_audit_pending_take(struct lt_db *db, lt_db_audit_fn fn, void *ctx)
{
	struct lt_sq_pager p;
	bool own;
	enum lethe_err rc;

	lt_sq_pager_init(&p, &sq_pending_page, sizeof(struct pending), pending_row, LT_SQ_AUDIT,
			 ctx);
	p.fn.audit = fn;
	p.deliver = pending_deliver;
	p.ctx = db;
	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, lt_sq_page(db, &p));
}
