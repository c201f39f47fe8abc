/* hold.c - legal holds (set, clear) and retention extension, on one object or a group.
 *
 * Each is one transaction with its audit record; what may change is retention/'s to say
 * (lt_retention_extend_to: retention is only ever lengthened), clearing a hold is an
 * officer's.
 */
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

static enum lethe_err one_target(const char *id, const char *group)
{
	if ((id == NULL) == (group == NULL))
		return lt_err(LETHE_ERR_INVALID, "name exactly one object id or one --group");
	if (id)
		return lt_uuid_check(id);
	if (!lt_group_name_valid(group))
		return lt_err(LETHE_ERR_INVALID, "group \"%.80s\" is not valid", group);
	return LETHE_OK;
}

static enum lethe_err hold_change(struct lethe_store *st, const char *id, const char *group,
				  const char *reason, bool set)
{
	struct lt_db_object *row = calloc(1, sizeof(*row));
	/* the reason (case reference, or why the hold ends) goes into the audit record */
	struct lt_audit_event ev = {.action = set ? "hold.set" : "hold.clear",
				    .object = id,
				    .group = group,
				    .error = reason};
	enum lethe_err rc;

	if (!row)
		return LETHE_ERR_NOMEM;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	if (id) {
		rc = lt_live_row(st, id, row);
		if (rc == LETHE_OK) {
			ev.group = row->group;
			rc = lt_db_object_set_hold(st->db, id, set, set ? reason : "");
		}
	} else if (set) {
		rc = lt_db_group_hold_set(st->db, group, reason, lt_now());
	} else {
		rc = lt_db_group_hold_clear(st->db, group);
	}
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &ev);
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
out:
	if (rc != LETHE_OK) {
		struct lt_err_saved saved;

		ev.err = rc;
		ev.error = lt_err_save(&saved);
		lt_audit_record(st, &ev);
	}
	free(row);
	return rc;
}

/* The checks every hold and extension call starts with: a store, and one target (an object or
 * a group). */
static enum lethe_err hold_args(struct lethe_store *st, const char *id, const char *group)
{
	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	return one_target(id, group);
}

LETHE_API enum lethe_err lethe_hold_set(struct lethe_store *st, const char *id, const char *group,
					const char *reason)
{
	enum lethe_err rc;

	rc = hold_args(st, id, group);
	if (rc != LETHE_OK)
		return rc;
	if (!reason || !*reason)
		return lt_err(LETHE_ERR_INVALID, "a hold needs a reason (the case reference)");
	if (strlen(reason) > LETHE_REASON_MAX)
		return lt_err(LETHE_ERR_INVALID, "reason longer than %d bytes", LETHE_REASON_MAX);
	return hold_change(st, id, group, reason, true);
}

LETHE_API enum lethe_err lethe_hold_clear(struct lethe_store *st, const char *id, const char *group,
					  const char *reason)
{
	enum lethe_err rc;

	rc = hold_args(st, id, group);
	if (rc != LETHE_OK)
		return rc;
	if (!st->officer) {
		rc = lt_err(LETHE_ERR_NOT_OFFICER, "clearing a legal hold needs an officer "
						   "passphrase");
		lt_audit_record(st, &(struct lt_audit_event){.action = "hold.clear",
							     .object = id,
							     .group = group,
							     .err = rc,
							     .error = lt_err_detail()});
		return rc;
	}
	if (reason && strlen(reason) > LETHE_REASON_MAX)
		return lt_err(LETHE_ERR_INVALID, "reason longer than %d bytes", LETHE_REASON_MAX);
	return hold_change(st, id, group, reason, false);
}

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
	rc = hold_args(st, id, group);
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
