/* cert_store.c - verifying the certificates a store holds, against the rest of the store.
 *
 * A chain of certificates proves that nothing inside it changed; it cannot show that its
 * newest certificates were deleted, nor that a certificate states what the put of its object
 * fixed. The store can: every shredded object row, and every shred the audit log records,
 * names a certificate that must be there; every put record states the created_at,
 * retain_until and lock the put fixed, which the certificate of that object must agree with.
 * A shred the log records is also held to the holds and extensions the log recorded before it
 * (a shred made from a rolled-back or rewritten row), and every put the log records must have
 * left a row, live or shredded (a row deleted, or the table rolled back to before the put).
 * Memory: one small entry per certificate, per object row and per held group, never the
 * audit log.
 */
#include "retention/cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/timeutil.h"
#include "crypt/prim.h"
#include "retention/cert_internal.h"
#include "retention/hold.h"
#include "retention/policy.h"

/* What the store is checked against, per certificate. */
struct cert_entry {
	char object_id[LETHE_ID_LEN + 1];
	char cert_id[LETHE_ID_LEN + 1];
	bool facts_ok;
	struct lt_cert_facts facts;
	bool put_seen;
	uint64_t held_by;          /* the newest hold.set while a hold is in force, along the log */
	struct lt_hold_refs holds; /* the references in force, along the log */
	uint64_t extended_by;      /* the retention.extend naming the latest date, and that date */
	int64_t extended_to;
};

/* A group's hold along the log (group hold records name no object). */
struct group_state {
	char group[LETHE_GROUP_MAX + 1];
	uint64_t held_by;
	struct lt_hold_refs holds;
};

/* A shredded object's row, and whether the log records its shred. */
/* One object row: every row, so that a put record whose row was deleted is found. */
struct shredded_entry {
	char object_id[LETHE_ID_LEN + 1];
	bool shredded;
	bool shred_seen;
};

struct store_check {
	struct lt_cert_chain chain;
	struct cert_entry *certs;
	size_t n, cap;
	struct shredded_entry *shredded; /* sorted by object id once listed */
	size_t nshredded, capshredded;
	enum lethe_err rc;
	uint64_t count;
	struct group_state *groups;
	size_t ngroups;
	uint64_t legacy_until; /* hold records up to it are 0.1's (retention/hold.h) */
};

/* One hold record applied to the references in force (holds stack), and the newest set of
 * one in force. */
static void hold_apply(struct store_check *s, struct lt_hold_refs *refs, uint64_t *held_by,
		       const struct lt_db_audit *rec, bool set)
{
	enum lethe_err rc =
	    lt_hold_refs_apply(refs, set, rec->seq <= s->legacy_until, rec->error, rec->seq);

	if (rc != LETHE_OK)
		s->rc = rc;
	*held_by = lt_hold_refs_newest(refs);
}

static struct group_state *group_state(struct store_check *s, const char *group, bool add)
{
	struct group_state *g;

	for (size_t i = 0; i < s->ngroups; i++)
		if (strcmp(s->groups[i].group, group) == 0)
			return &s->groups[i];
	if (!add)
		return NULL;
	g = realloc(s->groups, (s->ngroups + 1) * sizeof(*g));
	if (!g) {
		s->rc = LETHE_ERR_NOMEM;
		return NULL;
	}
	s->groups = g;
	g = &s->groups[s->ngroups++];
	memset(g, 0, sizeof(*g));
	(void) snprintf(g->group, sizeof(g->group), "%s", group);
	return g;
}

/* Does a time a record's operation decided on (a put's created_at, a shred's shredded_at)
 * stand within the clock skew lethe accepts of the record's own time? Both are read from the
 * same clock a moment apart: more is a clock shifted for one reading (docs/THREATS.md, T3). */
static bool near_record(const struct lt_db_audit *rec, int64_t t)
{
	int64_t diff = t - rec->time_us / 1000000;

	return diff <= LT_RETENTION_CLOCK_SKEW_MAX && diff >= -LT_RETENTION_CLOCK_SKEW_MAX;
}

/* A group hold set or cleared: the state the shreds after it are held to. */
static int check_group_record(struct store_check *s, const struct lt_db_audit *rec)
{
	bool set = strcmp(rec->action, "hold.set") == 0;
	struct group_state *g;

	if (!set && strcmp(rec->action, "hold.clear") != 0)
		return 0;
	g = group_state(s, rec->group, set);
	if (g)
		hold_apply(s, &g->holds, &g->held_by, rec, set);
	return s->rc != LETHE_OK;
}

/* A shred the log records against the holds and extensions the log recorded before it: a
 * shred made from a rolled-back or rewritten row (which lib/shred.c now refuses). */
static void check_shred(struct store_check *s, const struct lt_db_audit *rec,
			const struct cert_entry *e, const char *where)
{
	const struct group_state *g = group_state(s, rec->group, false);
	char when[32];

	if (e->facts_ok && !near_record(rec, e->facts.shredded_at))
		lt_cert_report(&s->chain, where,
			       "records the shred of %s, whose certificate's shredded_at lies more "
			       "than %d s from the record's time: the shred was decided on a "
			       "shifted clock",
			       rec->object, LT_RETENTION_CLOCK_SKEW_MAX);

	if (e->held_by)
		lt_cert_report(&s->chain, where,
			       "records the shred of %s while the hold audit record %llu set was "
			       "not cleared: the metadata was rolled back or rewritten",
			       rec->object, (unsigned long long) e->held_by);
	if (g && g->held_by)
		lt_cert_report(&s->chain, where,
			       "records the shred of %s while the hold of group %s (audit record "
			       "%llu) was not cleared: the metadata was rolled back or rewritten",
			       rec->object, g->group, (unsigned long long) g->held_by);
	/* the certificate states the retain_until the shred was decided on (an officer's
	 * forced shred included): never earlier than an extension the log recorded */
	if (e->extended_by && e->facts_ok && e->extended_to > e->facts.retain_until) {
		lt_time_format(e->extended_to, when, sizeof(when));
		lt_cert_report(
		    &s->chain, where,
		    "records the shred of %s, whose certificate's retain_until is earlier "
		    "than %s, the date audit record %llu extended it to: the metadata "
		    "was rolled back or rewritten",
		    rec->object, when, (unsigned long long) e->extended_by);
	}
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cert_entry *) a)->object_id,
		      ((const struct cert_entry *) b)->object_id);
}

static struct cert_entry *find_entry(struct store_check *s, const char *object_id)
{
	struct cert_entry key;

	if (s->n == 0 || strlen(object_id) != LETHE_ID_LEN)
		return NULL;
	memcpy(key.object_id, object_id, sizeof(key.object_id));
	return bsearch(&key, s->certs, s->n, sizeof(*s->certs), entry_cmp);
}

/* Each certificate in chain order: the chain checks, then what it says is kept. */
static int check_cert(const struct lt_db_cert *cert, void *ctx)
{
	struct store_check *s = ctx;
	struct cert_entry *e;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *p = realloc(s->certs, cap * sizeof(*s->certs));

		if (p == NULL) {
			s->rc = lt_err(LETHE_ERR_NOMEM, "evidence verify: out of memory");
			return 1;
		}
		s->certs = p;
		s->cap = cap;
	}
	s->rc = lt_cert_chain_check(&s->chain, cert->id, cert->id, cert->json, cert->json_len,
				    cert->sig);
	if (s->rc != LETHE_OK)
		return 1;
	s->count++;
	e = &s->certs[s->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->object_id, cert->object_id, sizeof(e->object_id));
	memcpy(e->cert_id, cert->id, sizeof(e->cert_id));
	e->facts_ok = s->chain.last_facts_ok;
	e->facts = s->chain.last_facts;
	/* the row's columns are what `evidence list` shows: they must say what was signed */
	if (e->facts_ok && strcmp(e->facts.object_id, cert->object_id) != 0)
		lt_cert_report(&s->chain, cert->id, "its row names object %s, the certificate %s",
			       cert->object_id, e->facts.object_id);
	return 0;
}

static int shredded_cmp(const void *a, const void *b)
{
	return strcmp(((const struct shredded_entry *) a)->object_id,
		      ((const struct shredded_entry *) b)->object_id);
}

static struct shredded_entry *find_shredded(struct store_check *s, const char *object_id)
{
	struct shredded_entry key;

	if (s->nshredded == 0 || strlen(object_id) != LETHE_ID_LEN)
		return NULL;
	memcpy(key.object_id, object_id, sizeof(key.object_id));
	return bsearch(&key, s->shredded, s->nshredded, sizeof(*s->shredded), shredded_cmp);
}

/* Every shredded object has its certificate, and is kept to be found in the log's pass. */
static int check_object(const struct lt_db_object *obj, void *ctx)
{
	struct store_check *s = ctx;
	char where[64];

	if (s->nshredded == s->capshredded) {
		size_t cap = s->capshredded ? s->capshredded * 2 : 64;
		void *p = realloc(s->shredded, cap * sizeof(*s->shredded));

		if (p == NULL) {
			s->rc = lt_err(LETHE_ERR_NOMEM, "evidence verify: out of memory");
			return 1;
		}
		s->shredded = p;
		s->capshredded = cap;
	}
	memset(&s->shredded[s->nshredded], 0, sizeof(*s->shredded));
	s->shredded[s->nshredded].shredded = obj->state == LETHE_STATE_SHREDDED;
	memcpy(s->shredded[s->nshredded++].object_id, obj->id, LETHE_ID_LEN + 1);
	if (obj->state != LETHE_STATE_SHREDDED || find_entry(s, obj->id) != NULL)
		return 0;
	(void) snprintf(where, sizeof(where), "object %s", obj->id);
	lt_cert_report(&s->chain, where,
		       "shredded, but its disposal certificate is missing from the store");
	return 0;
}

/* A put record against its object's certificate. */
static void check_put(struct store_check *s, const struct lt_db_audit *rec, struct cert_entry *e,
		      const char *where)
{
	const struct lt_cert_facts *f = &e->facts;
	int64_t created, until;
	bool lock;

	e->put_seen = true;
	if (!e->facts_ok)
		return;
	if (strcmp(rec->group, f->group) != 0)
		lt_cert_report(&s->chain, e->cert_id, "group %s differs from the put's %s (%s)",
			       f->group, rec->group, where);
	if (!lt_retention_put_detail_parse(rec->error, &created, &until, &lock)) {
		/* A put record of 0.1.0 states only its time. */
		if (f->created_at > rec->time_us / 1000000)
			lt_cert_report(&s->chain, e->cert_id,
				       "object.created_at is later than its put (%s)", where);
		return;
	}
	if (f->created_at != created)
		lt_cert_report(&s->chain, e->cert_id,
			       "object.created_at differs from what its put fixed (%s)", where);
	if (!near_record(rec, created))
		lt_cert_report(
		    &s->chain, e->cert_id,
		    "object.created_at lies more than %d s from the time of its put (%s): "
		    "the put was decided on a shifted clock",
		    LT_RETENTION_CLOCK_SKEW_MAX, where);
	if (f->retain_until < until) {
		char fixed[32];

		lt_time_format(until, fixed, sizeof(fixed));
		lt_cert_report(&s->chain, e->cert_id,
			       "object.retain_until is earlier than the %s its put fixed (%s): the "
			       "object's retention was shortened",
			       fixed, where);
	}
	if (lock && !f->lock)
		lt_cert_report(&s->chain, e->cert_id,
			       "policy.lock is false, but its put locked the object (%s)", where);
}

/* Every shred the log records has its certificate; every certificate agrees with its put. */
static int check_record(const struct lt_db_audit *rec, void *ctx)
{
	struct store_check *s = ctx;
	struct cert_entry *e;
	char where[48];

	int64_t until;

	if (strcmp(rec->outcome, "ok") != 0 || rec->unauthenticated)
		return 0;
	if (rec->object[0] == '\0')
		return check_group_record(s, rec);
	(void) snprintf(where, sizeof(where), "audit record %llu", (unsigned long long) rec->seq);
	e = find_entry(s, rec->object);
	if (strcmp(rec->action, "rm") == 0 || strcmp(rec->action, "sweep.shred") == 0) {
		struct shredded_entry *sh = find_shredded(s, rec->object);

		if (sh)
			sh->shred_seen = true;
	}
	if (strcmp(rec->action, "put") == 0 && e == NULL && !find_shredded(s, rec->object)) {
		/* the log created it; no row, live or shredded, is left of it (a rollback of the
		 * objects table to before the put, or a deleted row): nothing else would say so */
		lt_cert_report(&s->chain, where,
			       "records the put of %s, of which meta.db has no row: the row was "
			       "deleted or the objects table rolled back",
			       rec->object);
	} else if (strcmp(rec->action, "put") == 0 && e != NULL) {
		check_put(s, rec, e, where);
	} else if (e != NULL && strcmp(rec->action, "hold.set") == 0) {
		hold_apply(s, &e->holds, &e->held_by, rec, true);
	} else if (e != NULL && strcmp(rec->action, "hold.clear") == 0) {
		hold_apply(s, &e->holds, &e->held_by, rec, false);
	} else if (e != NULL && strcmp(rec->action, "retention.extend") == 0 &&
		   lt_retention_extend_detail_parse(rec->error, &until) && until > e->extended_to) {
		e->extended_to = until;
		e->extended_by = rec->seq;
	} else if (e != NULL &&
		   (strcmp(rec->action, "rm") == 0 || strcmp(rec->action, "sweep.shred") == 0)) {
		check_shred(s, rec, e, where);
	} else if ((strcmp(rec->action, "rm") == 0 || strcmp(rec->action, "sweep.shred") == 0) &&
		   e == NULL) {
		lt_cert_report(&s->chain, where,
			       "records the shred of %s, whose disposal certificate is missing",
			       rec->object);
	}
	return 0;
}

enum lethe_err lt_cert_verify_store(struct lt_db *db, const uint8_t pub[LT_ED25519_PUB_LEN],
				    lt_cert_problem_fn fn, void *ctx, uint64_t *count)
{
	struct store_check s;
	enum lethe_err rc;

	memset(&s, 0, sizeof(s));
	*count = 0;
	lt_cert_chain_init(&s.chain, pub, fn, ctx);
	rc = lt_hold_legacy_until(db, &s.legacy_until);
	if (rc == LETHE_OK)
		rc = lt_db_cert_list(db, check_cert, &s);
	if (rc == LETHE_ERR_INTEGRITY && s.rc == LETHE_OK) {
		/* the table's digest disagrees (rows deleted or inserted without the key): a
		 * problem of its own; the objects and the log are still checked against what is
		 * there, which names the certificates that went */
		lt_cert_report(&s.chain, "certificates", "%s", lt_err_detail());
		lt_err_clear();
		rc = LETHE_OK;
	}
	if (rc == LETHE_OK)
		rc = s.rc;
	if (rc != LETHE_OK)
		goto out;
	if (s.n > 0) /* no certificates, no array: qsort wants one even for none */
		qsort(s.certs, s.n, sizeof(*s.certs), entry_cmp);
	rc = lt_db_object_list(db, NULL, 0, true, check_object, &s);
	if (rc == LETHE_OK)
		rc = s.rc;
	if (rc == LETHE_OK && s.nshredded > 0)
		qsort(s.shredded, s.nshredded, sizeof(*s.shredded), shredded_cmp);
	/* one pass over the log, each record looked up in the sorted sets */
	if (rc == LETHE_OK)
		rc = lt_db_audit_list(db, 0, INT64_MIN, check_record, &s);
	if (rc == LETHE_OK)
		rc = s.rc;
	if (rc != LETHE_OK)
		goto out;
	for (size_t i = 0; i < s.nshredded; i++) {
		char where[64];

		if (!s.shredded[i].shredded || s.shredded[i].shred_seen)
			continue;
		(void) snprintf(where, sizeof(where), "object %s", s.shredded[i].object_id);
		lt_cert_report(&s.chain, where,
			       "shredded, but the audit log has no authenticated record of its "
			       "shred (rm or sweep.shred): the record was deleted, or the row was "
			       "not shredded by lethe");
	}
	for (size_t i = 0; i < s.n; i++) {
		if (!s.certs[i].put_seen)
			lt_cert_report(&s.chain, s.certs[i].cert_id,
				       "the audit log has no put record of object %s",
				       s.certs[i].object_id);
	}
	*count = s.count;
	rc = lt_cert_chain_result(&s.chain);
out:
	for (size_t i = 0; i < s.n; i++)
		lt_hold_refs_free(&s.certs[i].holds);
	for (size_t i = 0; i < s.ngroups; i++)
		lt_hold_refs_free(&s.groups[i].holds);
	free(s.certs);
	free(s.shredded);
	free(s.groups);
	return rc;
}
