/* extend.c - retention extension of one object or a group: what may change is retention/'s
 * to say (lt_retention_extend_to: retention is only ever lengthened, never past the group's
 * max); one transaction with its audit record. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "lib/internal.h"
#include "retention/group.h"
#include "retention/policy.h"
#include "store/db.h"

/*
 * No extension reaches past now + the group's max ([retention] max, 100y by default): a typo
 * ("--by 99999999999999d") would otherwise pin an object for ever, locked or not.
 */
static enum lethe_err check_max(struct lethe_store *st, const char *group, int64_t target,
				int64_t by)
{
	struct lt_group_policy policy;
	char max[32], when[32];

	lt_group_policy_get(&st->cfg, group, &policy);
	lt_duration_format(policy.max, max, sizeof(max));
	if (by > policy.max || (target && target > lt_retention_until(lt_now(), policy.max))) {
		if (target)
			lt_time_format(target, when, sizeof(when));
		return lt_err(LETHE_ERR_INVALID,
			      "%s%s is further than group %s's max retention of %s from now "
			      "([retention] max or [group:%s] max in lethe.conf)",
			      target ? "retaining until " : "extending by ", target ? when : "",
			      group ? group : "default", max, group ? group : "default");
	}
	return LETHE_OK;
}

/* *@p named: the date the extension guarantees, for its audit record (0 for a group --by) */
static enum lethe_err extend_in_tx(struct lethe_store *st, const char *id, const char *group,
				   int64_t until, int64_t by, uint64_t *changed, int64_t *named)
{
	struct lt_db_object *row;
	int64_t target;
	bool changes = false;
	enum lethe_err rc;

	*named = group ? until : 0;
	if (group) {
		rc = check_max(st, group, until, by);
		if (rc != LETHE_OK)
			return rc;
		return until ? lt_db_group_extend_until(st->db, group, until, changed)
			     : lt_db_group_extend_by(st->db, group, by, changed);
	}
	row = calloc(1, sizeof(*row));
	if (!row)
		return LETHE_ERR_NOMEM;
	rc = lt_live_row(st, id, row);
	if (rc == LETHE_OK)
		rc = lt_retention_extend_to(row, until, by, &target, &changes);
	if (rc == LETHE_OK && changes)
		rc = check_max(st, row->group, target, 0);
	if (rc == LETHE_OK)
		*named = changes ? target : row->retain_until;
	if (rc == LETHE_OK && changes) {
		rc = lt_db_object_set_retain_until(st->db, id, target);
		*changed = 1;
	}
	free(row);
	return rc;
}

LETHE_API enum lethe_err lethe_retention_extend(struct lethe_store *st, const char *id,
						const char *group, int64_t until, int64_t by,
						uint64_t *changed)
{
	struct lt_audit_event ev = {.action = "retention.extend", .object = id, .group = group};
	uint64_t n = 0;
	int64_t named = 0;
	char detail[128];
	enum lethe_err rc;

	if (changed)
		*changed = 0;
	rc = lt_hold_args(st, id, group);
	if (rc != LETHE_OK)
		return rc;
	if ((until != 0) == (by != 0) || by < 0 || until < 0)
		return lt_err(LETHE_ERR_INVALID, "give exactly one of --until DATE or --by "
						 "DURATION");
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = extend_in_tx(st, id, group, until, by, &n, &named);
	if (rc == LETHE_OK) {
		if (group && by)
			lt_retention_extend_by_detail(n, by, detail, sizeof(detail));
		else
			lt_retention_extend_detail(n, named, detail, sizeof(detail));
		ev.error = detail;
		rc = lt_audit_append(st, &ev);
	}
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
	if (rc != LETHE_OK) {
		struct lt_err_saved saved;

		ev.err = rc;
		ev.error = lt_err_save(&saved);
		lt_audit_record(st, &ev);
	} else if (changed) {
		*changed = n;
	}
	return rc;
}
