/* hold.c - group_holds: legal holds on whole groups (an object's own hold is a column of its
 * row, object.c). */
#include <string.h>

#include "store/sqlite/sqlite.h"

static const struct lt_sq sq_ghold_set = {
    SQ_GHOLD_SET, "group hold",
    "INSERT INTO group_holds (grp, reason, set_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (grp) DO UPDATE SET reason = excluded.reason, set_at = excluded.set_at"};
static const struct lt_sq sq_ghold_clear = {SQ_GHOLD_CLEAR, "group hold",
					    "DELETE FROM group_holds WHERE grp = ?1"};
static const struct lt_sq sq_ghold_get = {SQ_GHOLD_GET, "group hold",
					  "SELECT reason FROM group_holds WHERE grp = ?1"};

enum lethe_err lt_db_group_hold_set(struct lt_db *db, const char *group, const char *reason,
				    int64_t now)
{
	struct lt_sq_query q;
	enum lethe_err rc;

	rc = lt_sq_open(&q, db, &sq_ghold_set);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, group, LETHE_GROUP_MAX + 1);
	lt_sq_text(&q, 2, reason, LETHE_REASON_MAX);
	lt_sq_int(&q, 3, now);
	rc = lt_sq_exec(&q);
	lt_sq_close(&q);
	return rc;
}

enum lethe_err lt_db_group_hold_clear(struct lt_db *db, const char *group)
{
	return lt_sq_run_text(db, &sq_ghold_clear, group, LETHE_GROUP_MAX + 1);
}

enum lethe_err lt_db_group_hold_get(struct lt_db *db, const char *group, bool *held,
				    char reason[LETHE_REASON_MAX + 1])
{
	char text[LETHE_REASON_MAX + 1];
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	*held = false;
	if (reason)
		reason[0] = '\0';
	rc = lt_sq_open(&q, db, &sq_ghold_get);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, group, LETHE_GROUP_MAX + 1);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row) {
		lt_sq_get_text(&q, 0, text, sizeof(text));
		rc = q.err;
		*held = rc == LETHE_OK;
		if (*held && reason)
			memcpy(reason, text, sizeof(text));
	}
	lt_sq_close(&q);
	return rc;
}
