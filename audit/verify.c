/* verify.c - walking the audit chain: every MAC recomputed under the chain key, sequence
 * numbers without gaps, every checkpoint's signature checked and its signed content (only that)
 * matched against the record it names, the log reaching every checkpoint and every mark kept
 * outside meta.db (a truncated log), and times that neither go backwards nor lie in the future.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"
#include "common/timeutil.h"

/* Time problems listed one by one before the rest are only counted. */
#define TIME_PROBLEMS_LISTED 10

/* A point the log must hold and reach: a checkpoint's signed content, or a mark. */
struct reach {
	char where[96];
	struct lt_audit_head head;
	bool seen;
};

struct verify_ctx {
	struct lt_db *db;
	const struct lt_audit_verify_opts *o;
	uint64_t expect_seq;
	uint8_t prev[32];
	int64_t prev_time_us, now_us;
	uint64_t count, time_problems;
	bool bad;    /* a problem was found */
	bool broken; /* the walk stopped at a broken record */
	enum lethe_err rc;
	struct reach *reach;
	size_t nreach;
	uint64_t officer_from;         /* officer actions are signed from this record on */
	struct lt_audit_roster roster; /* who is an officer at this point of the log */
};

static void problem_at(struct verify_ctx *v, const char *where, const char *what)
{
	if (v->o->fn)
		v->o->fn(where, what, v->o->ctx);
	v->bad = true;
}

/* @p kind is "audit record" or "audit checkpoint"; @p n its sequence number. */
static void problem(struct verify_ctx *v, const char *kind, uint64_t n, const char *what)
{
	char where[64];

	snprintf(where, sizeof(where), "%s %" PRIu64, kind, n);
	problem_at(v, where, what);
}

static void time_problem(struct verify_ctx *v, uint64_t seq, const char *what)
{
	if (++v->time_problems <= TIME_PROBLEMS_LISTED)
		problem(v, "audit record", seq, what);
	v->bad = true;
}

/* Times: a record earlier than the one before it, or later than now, tells of a clock that
 * was moved (docs/THREATS.md, T3). Neither stops the walk: the chain itself may be intact. */
static void check_time(struct verify_ctx *v, const struct lt_db_audit *rec)
{
	char when[40], other[40], what[200];

	lt_time_format_us(rec->time_us, when, sizeof(when));
	if (v->count > 0 && rec->time_us < v->prev_time_us - LT_AUDIT_BACKWARDS_SLACK_US) {
		lt_time_format_us(v->prev_time_us, other, sizeof(other));
		snprintf(what, sizeof(what),
			 "time goes backwards: %s, after a record at %s (the clock was set back)",
			 when, other);
		time_problem(v, rec->seq, what);
	}
	if (rec->time_us > v->now_us + LT_AUDIT_FUTURE_SLACK_US) {
		lt_time_format_us(v->now_us, other, sizeof(other));
		snprintf(what, sizeof(what),
			 "time %s lies in the future (now is %s): written with a clock set forward",
			 when, other);
		time_problem(v, rec->seq, what);
	}
	v->prev_time_us = rec->time_us;
}

/* An officer's action must carry the officer authority's signature: the service holds the
 * chain key and can rewrite the log, but cannot sign (docs/THREATS.md, T2). A signature that
 * does not verify is reported whatever the record says. */
static void check_officer(struct verify_ctx *v, const struct lt_db_audit *rec)
{
	if (!v->o->officer_pub || rec->unauthenticated)
		return;
	/* before the migration only a signature there is checked: one that fails tells of an
	 * authority replaced since */
	if (rec->seq < v->officer_from && !rec->has_auth_sig)
		return;
	if (!rec->has_auth_sig && !lt_audit_officer_only(rec) && !lt_audit_claims_officer(rec))
		return;
	enum lethe_err rc = lt_audit_officer_sig_check(v->o->officer_pub, v->o->store_id, rec);

	if (rc == LETHE_OK)
		return;
	if (rc != LETHE_ERR_INTEGRITY) {
		v->rc = rc; /* the check itself failed (out of memory): no verdict */
		return;
	}
	lt_err_clear();
	problem(v, "audit record", rec->seq, "officer action without a valid officer signature");
}

/* The log, not officers.luks, says who is an officer: a record by an officer the log removed
 * (or never added) was written under an older roster put back into officers.luks (T1,
 * docs/THREATS.md); a change of the roster must agree with the roster before it. */
static void check_roster(struct verify_ctx *v, const struct lt_db_audit *rec)
{
	char what[300], why[200];

	if (!v->o->officer_pub || rec->unauthenticated || rec->seq < v->officer_from)
		return;
	/* a name the log never added may come from an add whose record a crash lost (the roster
	 * is written first); one it removed cannot act again without being added again */
	if (v->roster.known && !lt_audit_roster_begins(rec) && lt_audit_claims_officer(rec) &&
	    !lt_audit_roster_find(&v->roster, rec->keyslot) &&
	    lt_audit_roster_removed(&v->roster, rec->keyslot)) {
		snprintf(
		    what, sizeof(what),
		    "by officer \"%s\", whom the log removed from the roster (it is not on it at "
		    "this point) "
		    "(audit record %" PRIu64
		    " changed it last): officers.luks was rolled back or an "
		    "older roster replayed",
		    rec->keyslot, v->roster.seq);
		problem(v, "audit record", rec->seq, what);
	}
	if (!lt_audit_roster_apply(&v->roster, rec, why, sizeof(why))) {
		snprintf(what, sizeof(what),
			 "%s: the roster it changes is not the one the log records", why);
		problem(v, "audit record", rec->seq, what);
	}
}

static int verify_one(const struct lt_db_audit *rec, void *vctx)
{
	struct verify_ctx *v = vctx;
	uint8_t mac[32];
	size_t i;

	if (rec->seq != v->expect_seq) {
		char what[128];

		snprintf(what, sizeof(what),
			 "expected record %" PRIu64 " here: records were deleted or reordered",
			 v->expect_seq);
		problem(v, "audit record", rec->seq, what);
		v->broken = true;
		return 1;
	}
	v->rc = lt_audit_mac(v->o->key, rec, v->prev, mac);
	if (v->rc != LETHE_OK)
		return 1;
	if (!lt_memeq(mac, rec->mac, 32)) {
		problem(v, "audit record", rec->seq,
			"MAC mismatch: the record, or one before it, was modified, deleted or "
			"reordered");
		v->broken = true;
		return 1;
	}
	/* a store's log begins with its init record: a log that begins with anything else,
	 * however well chained, was deleted and begun again */
	if (v->count == 0 && v->o->require_init && strcmp(rec->action, "init") != 0)
		problem(v, "audit record", rec->seq,
			"the log does not begin with the store's init record: records were "
			"deleted");
	for (i = 0; i < v->nreach; i++) {
		if (v->reach[i].head.seq != rec->seq)
			continue;
		v->reach[i].seen = true;
		if (!lt_memeq(v->reach[i].head.mac, rec->mac, 32))
			problem_at(v, v->reach[i].where,
				   "names this seq with another MAC: the log was rewritten from "
				   "there on");
	}
	/* only a failed open or unlock is ever recorded without a key: any other unauthenticated
	 * record was put into audit_pending by someone posing as lethe */
	if (rec->unauthenticated &&
	    ((strcmp(rec->action, "open") != 0 && strcmp(rec->action, "unlock") != 0) ||
	     strcmp(rec->outcome, "ok") == 0)) {
		char what[256];

		snprintf(what, sizeof(what),
			 "unauthenticated record of \"%.32s\" (%.16s): only failed opens and "
			 "unlocks are recorded without a key; it was inserted into audit_pending",
			 rec->action, rec->outcome);
		problem(v, "audit record", rec->seq, what);
	}
	check_officer(v, rec);
	if (v->rc != LETHE_OK)
		return 1;
	check_roster(v, rec);
	check_time(v, rec);
	memcpy(v->prev, rec->mac, 32);
	v->expect_seq++;
	v->count++;
	return 0;
}

static enum lethe_err reach_add(struct verify_ctx *v, const char *where,
				const struct lt_audit_head *head)
{
	struct reach *n = realloc(v->reach, (v->nreach + 1) * sizeof(*n));

	if (!n)
		return LETHE_ERR_NOMEM;
	v->reach = n;
	memset(&n[v->nreach], 0, sizeof(*n));
	snprintf(n[v->nreach].where, sizeof(n[v->nreach].where), "%s", where);
	n[v->nreach].head = *head;
	v->nreach++;
	return LETHE_OK;
}

/* A checkpoint counts for what its signed JSON says, once the signature holds: the columns
 * beside it are unsigned, and must only agree with it. */
static int collect_cp(const struct lt_db_checkpoint *cp, void *vctx)
{
	struct verify_ctx *v = vctx;
	uint8_t pub[LT_ED25519_PUB_LEN];
	struct lt_audit_head head;
	char where[64];
	size_t len = 0;

	snprintf(where, sizeof(where), "audit checkpoint %" PRIu64, cp->seq);
	if (lt_db_meta_get(v->db, "evidence_pub", pub, sizeof(pub), &len) != LETHE_OK ||
	    len != sizeof(pub)) {
		problem_at(v, where, "no evidence public key in store");
		return 0;
	}
	if (lt_ed25519_verify(pub, cp->json, cp->json_len, cp->sig) != LETHE_OK) {
		problem_at(v, where, "signature does not verify");
		return 0;
	}
	if (lt_audit_checkpoint_parse(cp->json, cp->json_len, v->o->store_id, &head) != LETHE_OK) {
		problem_at(v, where, "its signed content is not a checkpoint of this store");
		return 0;
	}
	if (head.seq != cp->audit_seq || !lt_memeq(head.mac, cp->audit_mac, 32))
		problem_at(v, where,
			   "its audit_seq/audit_mac columns differ from what it signed: they were "
			   "edited");
	v->rc = reach_add(v, where, &head);
	return v->rc != LETHE_OK;
}

/* After a walk of the whole log: a point past its end means the newest records were deleted. */
static void check_reached(struct verify_ctx *v)
{
	char what[200];
	size_t i;

	for (i = 0; i < v->nreach; i++) {
		if (v->reach[i].seen || v->reach[i].head.seq < v->expect_seq)
			continue;
		if (v->expect_seq == 1)
			snprintf(what, sizeof(what),
				 "names record %" PRIu64 " but the log is empty: it was deleted",
				 v->reach[i].head.seq);
		else
			snprintf(what, sizeof(what),
				 "names record %" PRIu64 " but the log ends at %" PRIu64
				 ": the newest records were deleted",
				 v->reach[i].head.seq, v->expect_seq - 1);
		problem_at(v, v->reach[i].where, what);
	}
}

enum lethe_err lt_audit_verify_with(struct lt_db *db, const struct lt_audit_verify_opts *o,
				    uint64_t *records, bool *intact)
{
	struct verify_ctx v;
	enum lethe_err rc;
	size_t i;

	memset(&v, 0, sizeof(v));
	v.db = db;
	v.o = o;
	v.expect_seq = 1;
	v.now_us = o->now_us ? o->now_us : lt_now_us();
	v.officer_from = 1;
	rc = LETHE_OK;
	if (o->officer_pub) {
		bool born;

		rc = lt_audit_officer_from(db, &v.officer_from, &born);
	}
	if (rc == LETHE_OK)
		rc = lt_db_checkpoint_list(db, collect_cp, &v);
	if (rc == LETHE_ERR_INTEGRITY) {
		/* the table's digest disagrees (rows deleted or inserted without the key): a
		 * problem of its own; the records are still walked against what remains */
		problem_at(&v, "audit checkpoints", lt_err_detail());
		lt_err_clear();
		rc = LETHE_OK;
	}
	if (rc == LETHE_OK)
		rc = v.rc;
	for (i = 0; rc == LETHE_OK && i < o->nmarks; i++)
		rc = reach_add(&v, o->marks[i].what, &o->marks[i].head);
	if (rc == LETHE_OK)
		rc = lt_db_audit_list(db, 0, INT64_MIN, verify_one, &v);
	if (rc == LETHE_OK)
		rc = v.rc;
	if (rc == LETHE_OK && o->require_init && v.count == 0 && !v.broken)
		problem_at(&v, "audit log",
			   "the log does not begin with the store's init record: "
			   "it is empty, records were deleted");
	/* a walk stopped at a broken record cannot tell what is missing from the end */
	if (rc == LETHE_OK && !v.broken)
		check_reached(&v);
	if (rc == LETHE_OK && v.time_problems > TIME_PROBLEMS_LISTED) {
		char what[96];

		snprintf(what, sizeof(what), "%" PRIu64 " more records with times out of order",
			 v.time_problems - TIME_PROBLEMS_LISTED);
		problem_at(&v, "audit log", what);
	}
	free(v.reach);
	if (o->officer_exempt)
		*o->officer_exempt =
		    o->officer_pub && v.count > 0
			? (v.officer_from - 1 < v.count ? v.officer_from - 1 : v.count)
			: 0;
	if (records)
		*records = v.count;
	*intact = !v.bad;
	return rc;
}

static int first_record(const struct lt_db_audit *rec, void *ctx)
{
	bool *born = ctx;

	*born = rec->seq == 1 && strcmp(rec->action, "init") == 0 &&
		strncmp(rec->error, LT_AUDIT_INIT_AUTHORITY, strlen(LT_AUDIT_INIT_AUTHORITY)) == 0;
	return 1;
}

enum lethe_err lt_audit_officer_from(struct lt_db *db, uint64_t *seq, bool *born)
{
	uint64_t migrate = 0;
	enum lethe_err rc;

	*seq = 1;
	*born = false;
	rc = lt_db_audit_list(db, 1, INT64_MIN, first_record, born);
	if (rc == LETHE_OK && !*born)
		rc = lt_db_audit_find_action(db, "officer.migrate", &migrate);
	if (migrate)
		*seq = migrate;
	return rc;
}

enum lethe_err lt_audit_verify(struct lt_db *db, const uint8_t key[LT_KEY_LEN], lethe_problem_fn fn,
			       void *ctx, uint64_t *records, bool *intact)
{
	struct lt_audit_verify_opts o = {.key = key, .fn = fn, .ctx = ctx};

	return lt_audit_verify_with(db, &o, records, intact);
}
