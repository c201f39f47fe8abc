/* list.c - stat and list: objects as the public object info, holds and expiry as retention/
 * words and decides them. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "lib/internal.h"
#include "retention/group.h"
#include "retention/policy.h"
#include "store/db.h"

/*
 * Group holds as one listing has read them: a listing meets few groups and many rows, and each
 * read of the holds table checks all of it against its digest.
 */
#define GROUP_HOLDS_KEPT 8
struct group_holds_seen {
	struct {
		char group[LETHE_GROUP_MAX + 1];
		bool held;
		char reason[LETHE_REASON_MAX + 1];
	} g[GROUP_HOLDS_KEPT];
	size_t n;
};

static bool group_hold(struct lethe_store *st, struct group_holds_seen *seen, const char *group,
		       char reason[LETHE_REASON_MAX + 1])
{
	bool held = false;
	size_t i;

	for (i = 0; seen && i < seen->n; i++) {
		if (strcmp(seen->g[i].group, group) == 0) {
			lt_strlcpy(reason, seen->g[i].reason, LETHE_REASON_MAX + 1);
			return seen->g[i].held;
		}
	}
	if (lt_db_group_hold_get(st->db, group, &held, reason) != LETHE_OK) {
		lt_err_clear(); /* shown as not held; a sweep or rm reads it again and refuses */
		return false;
	}
	if (seen && seen->n < GROUP_HOLDS_KEPT) {
		i = seen->n++;
		lt_strlcpy(seen->g[i].group, group, sizeof(seen->g[i].group));
		seen->g[i].held = held;
		lt_strlcpy(seen->g[i].reason, reason, sizeof(seen->g[i].reason));
	}
	return held;
}

/* A public object info from a row, its name decrypted by @p names (and its group's hold;
 * @p seen, when set, keeps the group holds a listing has read). LETHE_ERR_INTEGRITY when the
 * name does not decrypt. */
static enum lethe_err info_fill(struct lethe_store *st, struct group_holds_seen *seen,
				struct lt_names_reader *names, const struct lt_db_object *obj,
				struct lethe_object_info *info)
{
	struct lt_retention_object o = {.row = obj};
	char group_reason[LETHE_REASON_MAX + 1] = "";
	enum lethe_err rc;

	memset(info, 0, sizeof(*info));
	lt_strlcpy(info->id, obj->id, sizeof(info->id));
	lt_strlcpy(info->group, obj->group, sizeof(info->group));
	rc = lt_names_read(names, obj, info->name);
	if (rc != LETHE_OK)
		return rc;
	info->size = obj->size;
	memcpy(info->ciphertext_sha256, obj->sha256, 32);
	info->created_at = obj->created_at;
	info->retain_until = obj->retain_until;
	info->shredded_at = obj->shredded_at;
	info->kek_version = obj->kek_version;
	info->state = obj->state == LETHE_STATE_SHREDDED ? LETHE_STATE_SHREDDED : LETHE_STATE_LIVE;
	/* the group's hold matters only without the object's own (a listing reads one per row) */
	if (!obj->hold && st)
		o.group_hold = group_hold(st, seen, obj->group, group_reason);
	o.group_hold_reason = group_reason;
	info->hold = lt_retention_hold_reason(&o, info->hold_reason, sizeof(info->hold_reason));
	return LETHE_OK;
}

/* Object @p id's row, read by stat and detail (*row malloc'd; LETHE_ERR_NOT_FOUND: "no such
 * object"). */
static enum lethe_err row_read(struct lethe_store *st, const char *id, struct lt_db_object **row)
{
	enum lethe_err rc;

	*row = NULL;
	rc = lt_uuid_check(id);
	if (rc != LETHE_OK)
		return rc;
	*row = calloc(1, sizeof(**row));
	if (!*row)
		return LETHE_ERR_NOMEM;
	rc = lt_db_object_get(st->db, id, *row);
	if (rc == LETHE_ERR_NOT_FOUND)
		rc = lt_err(LETHE_ERR_NOT_FOUND, "no such object");
	return rc;
}

LETHE_API enum lethe_err lethe_object_stat(struct lethe_store *st, const char *id,
					   struct lethe_object_info *info)
{
	struct lt_db_object *row = NULL;
	struct lt_names_reader names = {0};
	enum lethe_err rc;

	lt_err_clear();
	if (info)
		memset(info, 0, sizeof(*info));
	if (!st || !info)
		return lt_err(LETHE_ERR_INVALID, "stat needs a store and an info buffer");
	rc = row_read(st, id, &row);
	if (rc == LETHE_OK)
		rc = lt_names_reader_init(st, &names);
	if (rc == LETHE_OK)
		rc = info_fill(st, NULL, &names, row, info);
	if (rc != LETHE_OK)
		memset(info, 0, sizeof(*info));
	lt_names_reader_free(&names);
	free(row);
	return rc;
}

LETHE_API enum lethe_err lethe_object_detail(struct lethe_store *st, const char *id,
					     struct lethe_object_detail *detail)
{
	struct lt_db_object *row = NULL;
	enum lethe_err rc;

	lt_err_clear();
	if (detail)
		memset(detail, 0, sizeof(*detail));
	if (!st || !detail)
		return lt_err(LETHE_ERR_INVALID, "detail needs a store and a buffer");
	rc = row_read(st, id, &row);
	if (rc == LETHE_OK) {
		detail->locked = row->locked ? 1 : 0;
		if (row->state == LETHE_STATE_SHREDDED)
			rc = lt_db_cert_id_for_object(st->db, row->id, detail->cert_id);
	}
	free(row);
	return rc;
}

struct list_ctx {
	struct lethe_store *st;
	lethe_object_fn fn;
	lethe_object_detail_fn detail_fn; /* instead of fn: lethe_object_list_detail() */
	void *ctx;
	int64_t due_at; /* --expired: only what retention calls due then */
	struct lethe_object_info info;
	struct group_holds_seen holds;
	uint64_t bad;        /* rows that failed their check, skipped */
	char first_bad[256]; /* the first one's detail */
	struct lethe_object_detail detail;
	struct lt_names_reader names;
	enum lethe_err err; /* a certificate lookup failed: the listing stopped */
};

static int list_one(const struct lt_db_object *obj, void *vctx)
{
	struct list_ctx *l = vctx;

	/* a modified or malformed row is not listed as if it were fine, and does not stop the
	 * listing: the others are listed, and the call ends with the first one's detail */
	if (obj->bad != LETHE_OK) {
		if (!l->bad++)
			lt_strlcpy(l->first_bad, obj->bad_detail, sizeof(l->first_bad));
		return 0;
	}
	if (l->due_at && !lt_retention_due(obj, l->due_at))
		return 0;
	/* a name that does not decrypt is a row modified like one that fails its MAC */
	if (info_fill(l->st, &l->holds, &l->names, obj, &l->info) != LETHE_OK) {
		if (!l->bad++)
			lt_err_keep(l->first_bad, sizeof(l->first_bad));
		lt_err_clear();
		return 0;
	}
	if (!l->detail_fn)
		return l->fn(&l->info, l->ctx);
	memset(&l->detail, 0, sizeof(l->detail));
	l->detail.locked = obj->locked ? 1 : 0;
	if (obj->state == LETHE_STATE_SHREDDED) {
		l->err = lt_db_cert_id_for_object(l->st->db, obj->id, l->detail.cert_id);
		if (l->err != LETHE_OK)
			return 1;
	}
	return l->detail_fn(&l->info, &l->detail, l->ctx);
}

static enum lethe_err list(struct lethe_store *st, const char *group, unsigned flags,
			   lethe_object_fn fn, lethe_object_detail_fn detail_fn, void *ctx)
{
	struct list_ctx *l;
	enum lethe_err rc;

	lt_err_clear();
	if (!st || (!fn && !detail_fn))
		return lt_err(LETHE_ERR_INVALID, "list needs a store and a callback");
	if (group && !lt_group_name_valid(group))
		return lt_err(LETHE_ERR_INVALID, "group \"%.80s\" is not valid", group);
	l = calloc(1, sizeof(*l));
	if (!l)
		return LETHE_ERR_NOMEM;
	l->st = st;
	l->fn = fn;
	l->detail_fn = detail_fn;
	l->ctx = ctx;
	l->due_at = (flags & LETHE_LIST_EXPIRED) ? lt_now() : 0;
	/* the store narrows by its index, retention decides (list_one) */
	rc = lt_names_reader_init(st, &l->names);
	if (rc == LETHE_OK)
		rc = lt_db_object_list(st->db, group, l->due_at, (flags & LETHE_LIST_SHREDDED) != 0,
				       list_one, l);
	lt_names_reader_free(&l->names);
	if (rc == LETHE_OK)
		rc = l->err;
	if (rc == LETHE_OK && l->bad)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%llu object row(s) failed their check and were "
			    "not listed; the first: %s",
			    (unsigned long long) l->bad, l->first_bad);
	free(l);
	return rc;
}

LETHE_API enum lethe_err lethe_object_list(struct lethe_store *st, const char *group,
					   unsigned flags, lethe_object_fn fn, void *ctx)
{
	return list(st, group, flags, fn, NULL, ctx);
}

LETHE_API enum lethe_err lethe_object_list_detail(struct lethe_store *st, const char *group,
						  unsigned flags, lethe_object_detail_fn fn,
						  void *ctx)
{
	return list(st, group, flags, NULL, fn, ctx);
}
