/* head.c - the record of the audit chain with the latest time, authenticated: the latest time
 * the store's own keys vouch for, which a clock must not be earlier than before a shred. A
 * record appended later with an earlier time (a command run while the clock was back) does
 * not lower it. */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/err.h"

struct head_ctx {
	uint64_t want;              /* the newest seq */
	struct lt_db_audit recs[2]; /* [0] the one before it (when there is one), [1] it */
	size_t n;
};

static int keep(const struct lt_db_audit *rec, void *vctx)
{
	struct head_ctx *h = vctx;

	if (h->n >= 2 || rec->seq > h->want)
		return 1;
	h->recs[h->n++] = *rec;
	return rec->seq == h->want;
}

enum lethe_err lt_audit_head(struct lt_db *db, const uint8_t key[LT_KEY_LEN], uint64_t *seq,
			     int64_t *time_us)
{
	struct head_ctx *h = calloc(1, sizeof(*h)); /* two records, ~2 KiB: off the stack */
	const uint8_t zero[32] = {0};
	const struct lt_db_audit *rec, *prev = NULL;
	uint8_t last_mac[32], mac[32];
	enum lethe_err rc;

	*seq = 0;
	*time_us = 0;
	if (!h)
		return LETHE_ERR_NOMEM;
	rc = lt_db_audit_latest(db, &h->want, last_mac);
	if (rc != LETHE_OK || h->want == 0)
		goto out;
	rc = lt_db_audit_list(db, h->want > 1 ? h->want - 1 : 1, INT64_MIN, keep, h);
	if (rc != LETHE_OK)
		goto out;
	rc = LETHE_ERR_INTEGRITY;
	if (h->n == 0 || h->recs[h->n - 1].seq != h->want)
		goto out_detail;
	rec = &h->recs[h->n - 1];
	/* the index led to this row; its copy must say the same as what was listed */
	if (!lt_memeq(last_mac, rec->mac, sizeof(last_mac)))
		goto out_detail;
	if (h->n == 2 && h->recs[0].seq + 1 == rec->seq)
		prev = &h->recs[0];
	else if (rec->seq != 1) {
		lt_err(rc, "audit record %llu: the record before it is missing",
		       (unsigned long long) rec->seq);
		goto out;
	}
	/* The MAC covers the record's time: a keyless writer cannot move it. (Deleting the record,
	 * so that an earlier one is the latest here, is what audit verify's anchor catches.) */
	rc = lt_audit_mac(key, rec, prev ? prev->mac : zero, mac);
	if (rc != LETHE_OK)
		goto out;
	if (!lt_memeq(mac, rec->mac, sizeof(mac))) {
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "audit record %llu: MAC does not verify (the "
			    "newest record was altered; run lethe audit verify)",
			    (unsigned long long) rec->seq);
		goto out;
	}
	*seq = rec->seq;
	*time_us = rec->time_us;
	goto out;
out_detail:
	lt_err(rc, "audit record %llu: not found as the latest", (unsigned long long) h->want);
out:
	free(h);
	return rc;
}

/* @p rec against the MAC chain: its MAC from the record before it. */
static enum lethe_err record_authentic(struct lt_db *db, const uint8_t key[LT_KEY_LEN],
				       const struct lt_db_audit *rec)
{
	uint8_t prev[32] = {0}, mac[32];
	bool have_prev = true;
	enum lethe_err rc = LETHE_OK;

	if (rec->seq > 1)
		rc = lt_db_audit_mac_at(db, rec->seq - 1, prev, &have_prev);
	if (rc != LETHE_OK)
		return rc;
	if (!have_prev)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "audit record %llu: the record before it is "
			      "missing",
			      (unsigned long long) rec->seq);
	rc = lt_audit_mac(key, rec, prev, mac);
	if (rc != LETHE_OK)
		return rc;
	if (!lt_memeq(mac, rec->mac, sizeof(mac)))
		return lt_err(LETHE_ERR_INTEGRITY,
			      "audit record %llu: MAC does not verify (the "
			      "record was altered; run lethe audit verify)",
			      (unsigned long long) rec->seq);
	return LETHE_OK;
}

enum lethe_err lt_audit_newest(struct lt_db *db, const uint8_t key[LT_KEY_LEN], const char *object,
			       const char *group, const char *action, struct lt_db_audit *rec,
			       bool *found)
{
	enum lethe_err rc;

	rc = lt_db_audit_newest(db, object, group, action, rec, found);
	if (rc != LETHE_OK || !*found)
		return rc;
	return record_authentic(db, key, rec);
}

enum lethe_err lt_audit_oldest(struct lt_db *db, const uint8_t key[LT_KEY_LEN], const char *object,
			       const char *action, struct lt_db_audit *rec, bool *found)
{
	enum lethe_err rc = lt_db_audit_oldest(db, object, action, rec, found);

	if (rc != LETHE_OK || !*found)
		return rc;
	return record_authentic(db, key, rec);
}

/* A walk of records (lt_db_audit_holds, lt_db_audit_group_since), each MAC checked before
 * the caller's @p fn sees it. */
struct authentic_walk {
	struct lt_db *db;
	const uint8_t *key;
	lt_db_audit_fn fn;
	void *ctx;
	enum lethe_err rc;
};

static int authentic_one(const struct lt_db_audit *rec, void *vctx)
{
	struct authentic_walk *w = vctx;

	w->rc = record_authentic(w->db, w->key, rec);
	return w->rc != LETHE_OK || w->fn(rec, w->ctx);
}

enum lethe_err lt_audit_holds(struct lt_db *db, const uint8_t key[LT_KEY_LEN], const char *object,
			      const char *group, lt_db_audit_fn fn, void *ctx)
{
	struct authentic_walk w = {db, key, fn, ctx, LETHE_OK};
	enum lethe_err rc = lt_db_audit_holds(db, object, group, authentic_one, &w);

	return rc != LETHE_OK ? rc : w.rc;
}

enum lethe_err lt_audit_group_since(struct lt_db *db, const uint8_t key[LT_KEY_LEN],
				    const char *group, const char *action, uint64_t after,
				    lt_db_audit_fn fn, void *ctx)
{
	struct authentic_walk w = {db, key, fn, ctx, LETHE_OK};
	enum lethe_err rc = lt_db_audit_group_since(db, group, action, after, authentic_one, &w);

	return rc != LETHE_OK ? rc : w.rc;
}
