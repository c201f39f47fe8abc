/* hold.c - legal holds (set, clear, list), on one object or a group.
 *
 * Each change is one transaction with its audit record; clearing a hold is an officer's.
 * Holds stack: each has its own reference, and is cleared on its own. Retention extension,
 * which starts with the same checks (lt_hold_args), is extend.c's.
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
#include "retention/hold.h"
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

/* The newest remaining own hold of an object after a change: what its row says. */
static int newest_ref(const struct lt_db_hold *h, void *vctx)
{
	memcpy(vctx, h->ref, sizeof(h->ref));
	return 0;
}

/* objects.hold (and hold_reason, its newest reference) after the object's holds changed */
static enum lethe_err object_flag(struct lethe_store *st, const struct lt_db_object *row)
{
	char ref[LETHE_REASON_MAX + 1] = "";
	enum lethe_err rc;

	rc = lt_db_hold_list(st->db, row->id, NULL, newest_ref, ref);
	if (rc != LETHE_OK || (row->hold == (ref[0] != '\0') && strcmp(row->hold_reason, ref) == 0))
		return rc;
	return lt_db_object_set_hold(st->db, row->id, ref[0] != '\0', ref);
}

struct only_one {
	size_t n;
	char ref[LETHE_REASON_MAX + 1];
};

static int count_refs(const struct lt_db_hold *h, void *vctx)
{
	struct only_one *o = vctx;

	if (o->n++ == 0)
		memcpy(o->ref, h->ref, sizeof(h->ref));
	return 0;
}

/* Clearing without a reference (lethe_hold_clear(), the 0.1 call) names the one hold there
 * is: *@p ref "" when there is none; several are LETHE_ERR_INVALID. */
static enum lethe_err only_ref(struct lethe_store *st, const char *id, const char *group,
			       char ref[LETHE_REASON_MAX + 1])
{
	struct only_one o = {0};
	enum lethe_err rc = lt_db_hold_list(st->db, id, id ? NULL : group, count_refs, &o);

	ref[0] = '\0';
	if (rc != LETHE_OK)
		return rc;
	if (o.n > 1)
		return lt_err(LETHE_ERR_INVALID,
			      "%s %s has %zu holds: name the one to clear by its reference "
			      "(--ref; lethe hold list shows them)",
			      id ? "object" : "group", id ? id : group, o.n);
	memcpy(ref, o.ref, sizeof(o.ref));
	return LETHE_OK;
}

/* One hold set or cleared, in the transaction of its audit record. */
static enum lethe_err hold_in_tx(struct lethe_store *st, const char *id, const char *group,
				 const char *ref, bool set, struct lt_db_object *row,
				 struct lt_audit_event *ev, char clear_ref[LETHE_REASON_MAX + 1])
{
	struct lt_db_hold h = {0};
	bool changed = false;
	enum lethe_err rc = LETHE_OK;

	if (id) {
		rc = lt_live_row(st, id, row);
		if (rc != LETHE_OK)
			return rc;
		ev->group = row->group;
	}
	if (!set && !ref) {
		rc = only_ref(st, id, group, clear_ref);
		if (rc != LETHE_OK || !clear_ref[0])
			return rc; /* nothing held: clearing it succeeds, as it always did */
		ref = clear_ref;
	}
	if (set) {
		snprintf(h.object, sizeof(h.object), "%s", id ? id : "");
		snprintf(h.group, sizeof(h.group), "%s", id ? "" : group);
		snprintf(h.ref, sizeof(h.ref), "%s", ref);
		h.set_at = lt_now();
		snprintf(h.set_by, sizeof(h.set_by), "%s (%s)", st->actor.user, st->actor.keyslot);
		rc = lt_db_hold_add(st->db, &h, &changed);
	} else {
		rc = lt_db_hold_remove(st->db, id, group, ref, &changed);
		if (rc == LETHE_OK && !changed)
			rc = lt_err(LETHE_ERR_NOT_FOUND, "%s %s has no hold with reference \"%s\"",
				    id ? "object" : "group", id ? id : group, ref);
	}
	if (rc == LETHE_OK && id)
		rc = object_flag(st, row);
	return rc;
}

static enum lethe_err hold_change(struct lethe_store *st, const char *id, const char *group,
				  const char *ref, const char *why, bool set)
{
	struct lt_db_object *row = calloc(1, sizeof(*row));
	char clear_ref[LETHE_REASON_MAX + 1] = "", detail[LT_HOLD_CLEAR_DETAIL_MAX + 1];
	/* the reference goes into the audit record (a clear's, and why it ends, after a tab):
	 * the log says which holds are in force (lt_shred_log_check) */
	struct lt_audit_event ev = {.action = set ? "hold.set" : "hold.clear",
				    .object = id,
				    .group = group,
				    .error = set ? ref : why};
	enum lethe_err rc;

	if (!row)
		return LETHE_ERR_NOMEM;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	rc = hold_in_tx(st, id, group, ref, set, row, &ev, clear_ref);
	/* a clear that found nothing to clear names no reference (its text starts with the tab) */
	if (rc == LETHE_OK && !set) {
		lt_hold_clear_detail(ref ? ref : clear_ref, why, detail, sizeof(detail));
		ev.error = detail;
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
enum lethe_err lt_hold_args(struct lethe_store *st, const char *id, const char *group)
{
	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	return one_target(id, group);
}

/* A hold on a group lethe.conf does not name is most likely a typo, which would hold nothing
 * that was meant (as put refuses such a group, lib/object.c). */
static enum lethe_err known_group(struct lethe_store *st, const char *group)
{
	struct lt_group_policy policy;

	if (!group)
		return LETHE_OK;
	lt_group_policy_get(&st->cfg, group, &policy);
	if (policy.known || st->cfg.unknown_groups)
		return LETHE_OK;
	return lt_err(LETHE_ERR_INVALID,
		      "group \"%s\" has no [group:%s] section in lethe.conf (set [retention] "
		      "unknown_groups = allow to accept any group)",
		      group, group);
}

LETHE_API enum lethe_err lethe_hold_set(struct lethe_store *st, const char *id, const char *group,
					const char *reason)
{
	enum lethe_err rc;

	rc = lt_hold_args(st, id, group);
	if (rc == LETHE_OK)
		rc = lt_hold_ref_check(reason);
	if (rc == LETHE_OK)
		rc = known_group(st, group);
	if (rc != LETHE_OK)
		return rc;
	return hold_change(st, id, group, reason, NULL, true);
}

static enum lethe_err hold_clear(struct lethe_store *st, const char *id, const char *group,
				 const char *ref, const char *why)
{
	enum lethe_err rc;

	rc = lt_hold_args(st, id, group);
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
	if (ref && (rc = lt_hold_ref_check(ref)) != LETHE_OK)
		return rc;
	if (why && strlen(why) > LETHE_REASON_MAX)
		return lt_err(LETHE_ERR_INVALID, "reason longer than %d bytes", LETHE_REASON_MAX);
	return hold_change(st, id, group, ref, why, false);
}

LETHE_API enum lethe_err lethe_hold_clear(struct lethe_store *st, const char *id, const char *group,
					  const char *reason)
{
	return hold_clear(st, id, group, NULL, reason);
}

LETHE_API enum lethe_err lethe_hold_release(struct lethe_store *st, const char *id,
					    const char *group, const char *ref, const char *why)
{
	if (!ref)
		return lt_err(LETHE_ERR_INVALID, "name the hold to clear by its reference");
	return hold_clear(st, id, group, ref, why);
}

struct list_ctx {
	lethe_hold_fn fn;
	void *ctx;
	int stopped;
};

static int list_one(const struct lt_db_hold *h, void *vctx)
{
	struct list_ctx *l = vctx;
	struct lethe_hold_info info;

	memset(&info, 0, sizeof(info));
	memcpy(info.id, h->object, sizeof(info.id));
	memcpy(info.group, h->group, sizeof(info.group));
	memcpy(info.ref, h->ref, sizeof(info.ref));
	info.set_at = h->set_at;
	snprintf(info.set_by, sizeof(info.set_by), "%s", h->set_by);
	l->stopped = l->fn(&info, l->ctx);
	return l->stopped;
}

LETHE_API enum lethe_err lethe_hold_list(struct lethe_store *st, const char *id, const char *group,
					 lethe_hold_fn fn, void *ctx)
{
	struct lt_db_object *row = NULL;
	struct list_ctx l = {fn, ctx, 0};
	enum lethe_err rc;

	lt_err_clear();
	if (!st || !fn)
		return lt_err(LETHE_ERR_INVALID, "no store or no callback");
	if (id && group)
		return lt_err(LETHE_ERR_INVALID, "name one object id or one --group, or neither");
	if (id && (rc = lt_uuid_check(id)) != LETHE_OK)
		return rc;
	if (group && !lt_group_name_valid(group))
		return lt_err(LETHE_ERR_INVALID, "group \"%.80s\" is not valid", group);
	if (id && !(row = calloc(1, sizeof(*row))))
		return LETHE_ERR_NOMEM;
	if (id) {
		/* an object's holds are its own and its group's */
		rc = lt_db_object_get(st->db, id, row);
		if (rc == LETHE_ERR_NOT_FOUND)
			rc = lt_err(LETHE_ERR_NOT_FOUND, "no such object");
		if (rc == LETHE_OK)
			rc = lt_db_hold_list(st->db, NULL, row->group, list_one, &l);
		if (rc == LETHE_OK && !l.stopped)
			rc = lt_db_hold_list(st->db, id, NULL, list_one, &l);
	} else {
		rc = lt_db_hold_list(st->db, NULL, group, list_one, &l);
	}
	free(row);
	return rc;
}
