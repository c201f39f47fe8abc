/* shred_log.c - before a shred, the row held to the audit log (lt_shred_log_check): a row
 * rolled back or rewritten (by anyone who can write meta.db, with or without the service key)
 * costs its own object, as a row failing its MAC does, instead of being shredded early.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "keys/authority.h"
#include "lib/internal.h"
#include "retention/hold.h"
#include "retention/policy.h"
#include "store/db.h"

#define ROLLED_BACK "the metadata was rolled back or rewritten"

/*
 * A record only an officer writes (a hold cleared) counts before a shred only when the officer
 * authority signed it: the service holds the chain key and can append MAC-valid records (T2,
 * docs/THREATS.md). The key is the one officers.luks's signed roster names, which must be the
 * one meta.db pins. Records from before the store had an authority (a store not yet migrated,
 * or before its officer.migrate record) carry no signature.
 */
static enum lethe_err log_officer_signed(struct lethe_store *st, const char *what,
					 const struct lt_db_audit *rec)
{
	uint8_t pin[LT_ED25519_PUB_LEN];
	struct lt_authority *a = calloc(1, sizeof(*a));
	uint64_t from = 1;
	size_t len = 0;
	bool born = false, pinned, file;
	enum lethe_err rc;

	if (!a)
		return LETHE_ERR_NOMEM;
	rc = lt_db_meta_get(st->db, LT_AUTHORITY_META_PUB, pin, sizeof(pin), &len);
	pinned = rc == LETHE_OK && len == sizeof(pin);
	if (rc == LETHE_ERR_NOT_FOUND)
		rc = LETHE_OK;
	file = access(st->officers_path, F_OK) == 0;
	if (rc == LETHE_OK && file)
		rc = lt_authority_read(st->officers_path, st->store_id, a);
	if (rc != LETHE_OK)
		goto out;
	if (file && pinned && lt_memeq(pin, a->pub, sizeof(pin))) {
		rc = lt_audit_officer_sig_check(a->pub, st->store_id, rec);
		if (rc != LETHE_ERR_INTEGRITY)
			goto out; /* signed, or the check itself failed: no verdict either way */
		rc = LETHE_OK;
	}
	lt_err_clear();
	if (!pinned && !file) /* a store from before officers.luks: nothing is signed */
		goto out;
	rc = lt_audit_officer_from(st->db, &from, &born);
	if (rc == LETHE_OK && rec->seq < from)
		goto out;
	if (rc == LETHE_OK)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "audit record %llu (%s) carries no valid officer signature: only an "
			    "officer can do that, and the record was appended without the officer "
			    "authority; shred refused",
			    (unsigned long long) rec->seq, what);
out:
	free(a);
	return rc;
}

/* The object's put record: its first, since an id is put once; a later put record of the same
 * id was appended by someone holding the chain key, to state other terms (T2). */
static enum lethe_err log_put(struct lethe_store *st, const struct lt_db_object *obj,
			      struct lt_db_audit *rec, bool *found)
{
	uint64_t first;
	enum lethe_err rc;

	rc = lt_audit_newest(st->db, st->keys->audit_mac, obj->id, NULL, "put", rec, found);
	if (rc != LETHE_OK || !*found)
		return rc;
	first = rec->seq;
	rc = lt_audit_oldest(st->db, st->keys->audit_mac, obj->id, "put", rec, found);
	if (rc == LETHE_OK && *found && rec->seq != first)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "object %s: audit record %llu is a second put of it (its put is audit "
			    "record %llu): records were appended to the log; shred refused",
			    obj->id, (unsigned long long) first, (unsigned long long) rec->seq);
	return rc;
}

struct log_holds {
	struct lethe_store *st;
	struct lt_hold_refs refs;
	uint64_t legacy_until;
	enum lethe_err rc;
};

/* One hold.set or hold.clear, in log order; a clear counts only with the officer authority's
 * signature (log_officer_signed). */
static int replay(const struct lt_db_audit *rec, void *vctx)
{
	struct log_holds *l = vctx;
	bool set = strcmp(rec->action, "hold.set") == 0;

	l->rc = set ? LETHE_OK : log_officer_signed(l->st, "hold.clear", rec);
	if (l->rc == LETHE_OK)
		l->rc = lt_hold_refs_apply(&l->refs, set, rec->seq <= l->legacy_until, rec->error,
					   rec->seq);
	return l->rc != LETHE_OK;
}

struct table_holds {
	const struct lt_hold_refs *log;
	bool *found; /* per reference of the log: a row of the table has it */
};

static int match(const struct lt_db_hold *h, void *vctx)
{
	struct table_holds *t = vctx;

	for (size_t i = 0; i < t->log->n; i++)
		if (strcmp(t->log->ref[i], h->ref) == 0)
			t->found[i] = true;
	return 0;
}

/*
 * The holds the audit log says are in force on object @p id (or group @p group when id is
 * NULL), replayed from every authenticated hold.set and hold.clear of it, must all be rows of
 * the holds table: a row deleted with the table's digest rolled back with it, or an objects
 * row from before the hold, is an integrity failure rather than a release. *@p held_by: the
 * seq of the newest hold.set of a hold in force; @p missing: a reference in force that the
 * table does not have ("" when it has them all).
 */
static enum lethe_err log_holds(struct lethe_store *st, const char *id, const char *group,
				uint64_t *held_by, char missing[LETHE_REASON_MAX + 1])
{
	struct log_holds l = {st, {0}, 0, LETHE_OK};
	struct table_holds t = {&l.refs, NULL};
	enum lethe_err rc;

	*held_by = 0;
	missing[0] = '\0';
	rc = lt_hold_legacy_until(st->db, &l.legacy_until);
	if (rc == LETHE_OK)
		rc = lt_audit_holds(st->db, st->keys->audit_mac, id, group, replay, &l);
	if (rc == LETHE_OK)
		rc = l.rc;
	if (rc == LETHE_OK && l.refs.n) {
		*held_by = lt_hold_refs_newest(&l.refs);
		t.found = calloc(l.refs.n, sizeof(*t.found));
		rc = t.found ? lt_db_hold_list(st->db, id, id ? NULL : group, match, &t)
			     : LETHE_ERR_NOMEM;
		for (size_t i = 0; rc == LETHE_OK && i < l.refs.n && !missing[0]; i++)
			if (!t.found[i])
				memcpy(missing, l.refs.ref[i], sizeof(l.refs.ref[i]));
		free(t.found);
	}
	lt_hold_refs_free(&l.refs);
	return rc;
}

/* The date the newest retention.extend of the object (or group) named, and its seq. */
static enum lethe_err log_extension(struct lethe_store *st, const char *id, const char *group,
				    struct lt_db_audit *rec, uint64_t *seq, int64_t *until)
{
	bool found;
	enum lethe_err rc;

	*seq = 0;
	*until = 0;
	rc = lt_audit_newest(st->db, st->keys->audit_mac, id, group, "retention.extend", rec,
			     &found);
	if (rc == LETHE_OK && found && lt_retention_extend_detail_parse(rec->error, until))
		*seq = rec->seq;
	return rc;
}

/* The group's extensions since an object's put, replayed from the retain_until the put gave
 * it: each --until raises it to at least that date, each --by adds its duration. An object's
 * own extensions only raise it further (they are checked on their own), so the result is the
 * least retain_until the row may have. */
struct group_floor {
	int64_t until;
	uint64_t seq; /* the last record that raised it */
};

static int group_floor_one(const struct lt_db_audit *rec, void *vctx)
{
	struct group_floor *f = vctx;
	int64_t v;

	if (lt_retention_extend_detail_parse(rec->error, &v)) {
		if (v > f->until) {
			f->until = v;
			f->seq = rec->seq;
		}
	} else if (lt_retention_extend_by_parse(rec->error, &v)) {
		f->until = v > INT64_MAX - f->until ? INT64_MAX : f->until + v;
		f->seq = rec->seq;
	}
	return 0;
}

enum lethe_err lt_shred_log_check(struct lethe_store *st, const struct lt_db_object *obj,
				  bool group_held)
{
	struct lt_db_audit *rec = calloc(1, sizeof(*rec));
	struct group_floor floor = {0};
	uint64_t put_seq = 0, seq;
	int64_t created, until;
	bool lock, found;
	char when[32], missing[LETHE_REASON_MAX + 1];
	enum lethe_err rc;

	if (!rec)
		return LETHE_ERR_NOMEM;
	rc = log_put(st, obj, rec, &found);
	if (rc != LETHE_OK)
		goto out;
	/* a put of a release before the detail states nothing to hold the row to */
	if (found && lt_retention_put_detail_parse(rec->error, &created, &until, &lock)) {
		put_seq = rec->seq;
		floor.until = until;
		if (lock && !obj->locked) {
			rc = lt_err(LETHE_ERR_INTEGRITY,
				    "object %s: its row says not locked but its put (audit record "
				    "%llu) locked it: " ROLLED_BACK,
				    obj->id, (unsigned long long) put_seq);
			goto out;
		}
		if (until > obj->retain_until)
			goto shorter;
	}
	rc = log_holds(st, obj->id, NULL, &seq, missing);
	if (rc == LETHE_OK && seq && !obj->hold)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "object %s: its row says not held but audit record %llu set a hold "
			    "that no later record cleared: " ROLLED_BACK,
			    obj->id, (unsigned long long) seq);
	else if (rc == LETHE_OK && missing[0])
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "object %s: the audit log holds it under \"%s\", set and not cleared, "
			    "but the holds table has no such hold: " ROLLED_BACK,
			    obj->id, missing);
	if (rc != LETHE_OK)
		goto out;
	rc = log_holds(st, NULL, obj->group, &seq, missing);
	if (rc == LETHE_OK && seq && !group_held)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "object %s: group %s says not held but audit record %llu set a group "
			    "hold that no later record cleared: " ROLLED_BACK,
			    obj->id, obj->group, (unsigned long long) seq);
	else if (rc == LETHE_OK && missing[0])
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "object %s: the audit log holds group %s under \"%s\", set and not "
			    "cleared, but the holds table has no such hold: " ROLLED_BACK,
			    obj->id, obj->group, missing);
	if (rc != LETHE_OK)
		goto out;
	rc = log_extension(st, obj->id, NULL, rec, &seq, &until);
	if (rc == LETHE_OK && seq && until > obj->retain_until)
		goto shorter;
	if (rc != LETHE_OK)
		goto out;
	/* a group's extensions reached the objects that existed when each was made (an --until
	 * and a --by alike); without the put's detail nothing says which those were */
	if (!put_seq)
		goto out;
	rc = lt_audit_group_since(st->db, st->keys->audit_mac, obj->group, "retention.extend",
				  put_seq, group_floor_one, &floor);
	if (rc != LETHE_OK || !floor.seq || floor.until <= obj->retain_until)
		goto out;
	rec->seq = floor.seq;
	until = floor.until;
shorter:
	lt_time_format(until, when, sizeof(when));
	rc = lt_err(LETHE_ERR_INTEGRITY,
		    "object %s: its row's retain_until is earlier than audit record %llu says "
		    "(%s): " ROLLED_BACK,
		    obj->id, (unsigned long long) rec->seq, when);
out:
	free(rec);
	return rc;
}
