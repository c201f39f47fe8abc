/* hold.c - group_holds: legal holds on whole groups (an object's own hold is a column of its
 * row, object.c). A missing row means "no hold", so the table is checked against its digest
 * before an absent row is believed. */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

static const struct lt_sq sq_ghold_set = {
    SQ_GHOLD_SET, "group hold",
    "INSERT INTO group_holds (grp, reason, set_at, mac) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (grp) DO UPDATE SET reason = excluded.reason, set_at = excluded.set_at, "
    "mac = excluded.mac"};
static const struct lt_sq sq_ghold_clear = {SQ_GHOLD_CLEAR, "group hold",
					    "DELETE FROM group_holds WHERE grp = ?1"};
static const struct lt_sq sq_ghold_get = {
    SQ_GHOLD_GET, "group hold", "SELECT grp, reason, set_at, mac FROM group_holds WHERE grp = ?1"};

static void ghold_encode(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap)
{
	char group[LETHE_GROUP_MAX + 1], reason[LETHE_REASON_MAX + 1];

	lt_sq_get_text(q, 0, group, sizeof(group));
	lt_sq_get_text(q, 1, reason, sizeof(reason));
	snprintf(key, keycap, "%s", group);
	lt_rowenc_group_hold(e, group, reason, lt_sq_get_int(q, 2));
}

const struct lt_sq_table lt_sq_ghold_table =
    LT_SQ_TABLE(LT_ROW_GROUP_HOLDS, "group_holds", "grp, reason, set_at, mac", 3, ghold_encode);

/* The row of @p group, checked: *held, its reason and its MAC. Inside a transaction the last
 * group read is kept until it ends or the table changes: a sweep asks about the same group for
 * every object of a batch. */
static enum lethe_err ghold_read(struct lt_db *db, const char *group, bool *held,
				 char reason[LETHE_REASON_MAX + 1], uint8_t mac[LT_ROWMAC_LEN],
				 bool *has_mac)
{
	struct lt_rowenc e;
	struct lt_sq_query q;
	char key[LETHE_GROUP_MAX + 1];
	bool row = false, in_tx = lt_sq_in_tx(db);
	enum lethe_err rc;

	if (in_tx && db->auth.ghold.known &&
	    strncmp(db->auth.ghold.group, group, sizeof(db->auth.ghold.group)) == 0) {
		*held = db->auth.ghold.held;
		*has_mac = db->auth.ghold.has_mac;
		memcpy(reason, db->auth.ghold.reason, LETHE_REASON_MAX + 1);
		memcpy(mac, db->auth.ghold.mac, LT_ROWMAC_LEN);
		return LETHE_OK;
	}
	*held = false;
	*has_mac = false;
	reason[0] = '\0';
	rc = lt_sq_table_verify(db, LT_ROW_GROUP_HOLDS);
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, &sq_ghold_get);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, group, LETHE_GROUP_MAX + 1);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row) {
		ghold_encode(&q, &e, key, sizeof(key));
		lt_sq_get_text(&q, 1, reason, LETHE_REASON_MAX + 1);
		lt_sq_get_blob(&q, 3, mac, LT_ROWMAC_LEN, has_mac);
		rc = q.err;
		if (rc == LETHE_OK)
			rc = lt_sq_verify(db, LT_ROW_GROUP_HOLDS, key, &e, mac, *has_mac);
		else
			lt_rowenc_free(&e);
		*held = rc == LETHE_OK;
	}
	lt_sq_close(&q);
	if (rc == LETHE_OK && in_tx && strnlen(group, LETHE_GROUP_MAX + 1) <= LETHE_GROUP_MAX) {
		db->auth.ghold.known = true;
		db->auth.ghold.held = *held;
		db->auth.ghold.has_mac = *has_mac;
		snprintf(db->auth.ghold.group, sizeof(db->auth.ghold.group), "%s", group);
		memcpy(db->auth.ghold.reason, reason, LETHE_REASON_MAX + 1);
		memcpy(db->auth.ghold.mac, mac, LT_ROWMAC_LEN);
	}
	return rc;
}

static enum lethe_err ghold_set_rows(struct lt_db *db, const char *group, const char *reason,
				     int64_t now)
{
	char old_reason[LETHE_REASON_MAX + 1];
	uint8_t old[LT_ROWMAC_LEN], mac[LT_ROWMAC_LEN];
	struct lt_rowenc e;
	struct lt_sq_query q;
	bool held = false, had_mac = false, keyed = lt_sq_keyed(db);
	enum lethe_err rc;

	rc = ghold_read(db, group, &held, old_reason, old, &had_mac);
	db->auth.ghold.known = false; /* the table changes */
	if (rc == LETHE_OK && keyed) {
		char text[LETHE_REASON_MAX + 1];

		/* the reason as stored (bound to at most LETHE_REASON_MAX bytes) */
		snprintf(text, sizeof(text), "%.*s", LETHE_REASON_MAX, reason ? reason : "");
		lt_rowenc_group_hold(&e, group, text, now);
		rc = lt_sq_mac(db, &e, mac);
	}
	if (rc == LETHE_OK)
		rc = lt_sq_open(&q, db, &sq_ghold_set);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, group, LETHE_GROUP_MAX + 1);
	lt_sq_text(&q, 2, reason, LETHE_REASON_MAX);
	lt_sq_int(&q, 3, now);
	if (keyed)
		lt_sq_blob(&q, 4, mac, sizeof(mac));
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	if (rc == LETHE_OK)
		rc = lt_sq_digest_change(db, LT_ROW_GROUP_HOLDS, held && had_mac ? old : NULL,
					 keyed ? mac : NULL);
	return rc;
}

enum lethe_err lt_db_group_hold_set(struct lt_db *db, const char *group, const char *reason,
				    int64_t now)
{
	bool own;
	enum lethe_err rc;

	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, ghold_set_rows(db, group, reason, now));
}

static enum lethe_err ghold_clear_rows(struct lt_db *db, const char *group)
{
	char reason[LETHE_REASON_MAX + 1];
	uint8_t old[LT_ROWMAC_LEN];
	bool held = false, had_mac = false;
	enum lethe_err rc;

	rc = ghold_read(db, group, &held, reason, old, &had_mac);
	db->auth.ghold.known = false; /* the table changes */
	if (rc == LETHE_OK && held)
		rc = lt_sq_run_text(db, &sq_ghold_clear, group, LETHE_GROUP_MAX + 1);
	if (rc == LETHE_OK && held)
		rc = lt_sq_digest_change(db, LT_ROW_GROUP_HOLDS, had_mac ? old : NULL, NULL);
	return rc;
}

enum lethe_err lt_db_group_hold_clear(struct lt_db *db, const char *group)
{
	bool own;
	enum lethe_err rc;

	rc = lt_sq_call_begin(db, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call_end(db, own, ghold_clear_rows(db, group));
}

enum lethe_err lt_db_group_hold_get(struct lt_db *db, const char *group, bool *held,
				    char reason[LETHE_REASON_MAX + 1])
{
	char text[LETHE_REASON_MAX + 1];
	uint8_t mac[LT_ROWMAC_LEN];
	bool has_mac;
	enum lethe_err rc = ghold_read(db, group, held, text, mac, &has_mac);

	if (reason)
		memcpy(reason, *held ? text : "", *held ? sizeof(text) : 1);
	return rc;
}
