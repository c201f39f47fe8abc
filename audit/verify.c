/* verify.c - walking the audit chain: every MAC recomputed under the chain key, sequence
 * numbers without gaps, every checkpoint's signature checked, still matching the record it
 * signed, and no signed record missing from the end (a truncated log). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

/* A checkpoint, kept to match as the records stream by. */
struct checkpoint_copy {
	uint64_t seq, audit_seq;
	uint8_t mac[32];
};

struct verify_ctx {
	struct lt_db *db;
	const uint8_t *key;
	lethe_problem_fn fn;
	void *fctx;
	uint64_t expect_seq;
	uint8_t prev[32];
	uint64_t count;
	bool bad;
	enum lethe_err rc;
	struct checkpoint_copy *cps;
	size_t ncps;
};

/* @p kind is "audit record" or "audit checkpoint"; @p n its sequence number. */
static void problem(struct verify_ctx *v, const char *kind, uint64_t n, const char *what)
{
	char where[64];

	snprintf(where, sizeof(where), "%s %llu", kind, (unsigned long long) n);
	if (v->fn)
		v->fn(where, what, v->fctx);
	v->bad = true;
}

static int verify_one(const struct lt_db_audit *rec, void *vctx)
{
	struct verify_ctx *v = vctx;
	uint8_t mac[32];
	size_t i;

	if (rec->seq != v->expect_seq) {
		char what[128];

		snprintf(what, sizeof(what),
			 "expected record %llu here: records were deleted or reordered",
			 (unsigned long long) v->expect_seq);
		problem(v, "audit record", rec->seq, what);
		return 1;
	}
	v->rc = lt_audit_mac(v->key, rec, v->prev, mac);
	if (v->rc != LETHE_OK)
		return 1;
	if (!lt_memeq(mac, rec->mac, 32)) {
		problem(v, "audit record", rec->seq,
			"MAC mismatch: the record, or one before it, was modified, deleted or "
			"reordered");
		return 1;
	}
	for (i = 0; i < v->ncps; i++) {
		if (v->cps[i].audit_seq == rec->seq && !lt_memeq(v->cps[i].mac, rec->mac, 32))
			problem(v, "audit checkpoint", v->cps[i].seq,
				"the record it signed has a different MAC now");
	}
	memcpy(v->prev, rec->mac, 32);
	v->expect_seq++;
	v->count++;
	return v->bad;
}

static int collect_cp(const struct lt_db_checkpoint *cp, void *vctx)
{
	struct verify_ctx *v = vctx;
	uint8_t pub[LT_ED25519_PUB_LEN];
	size_t len = 0;
	struct checkpoint_copy *n;

	if (lt_db_meta_get(v->db, "evidence_pub", pub, sizeof(pub), &len) != LETHE_OK ||
	    len != sizeof(pub)) {
		problem(v, "audit checkpoint", cp->seq, "no evidence public key in store");
		return 0;
	}
	if (lt_ed25519_verify(pub, cp->json, cp->json_len, cp->sig) != LETHE_OK)
		problem(v, "audit checkpoint", cp->seq, "signature does not verify");
	n = realloc(v->cps, (v->ncps + 1) * sizeof(*n));
	if (!n) {
		v->rc = LETHE_ERR_NOMEM;
		return 1;
	}
	v->cps = n;
	n[v->ncps].seq = cp->seq;
	n[v->ncps].audit_seq = cp->audit_seq;
	memcpy(n[v->ncps].mac, cp->audit_mac, 32);
	v->ncps++;
	return 0;
}

/* After the walk: a checkpoint that signed a record past the end means the newest records
 * were deleted. */
static void check_truncation(struct verify_ctx *v)
{
	size_t i;

	for (i = 0; i < v->ncps; i++) {
		if (v->cps[i].audit_seq >= v->expect_seq) {
			char what[160];

			snprintf(what, sizeof(what),
				 "signed record %llu but the log ends at %llu: the newest records "
				 "were deleted",
				 (unsigned long long) v->cps[i].audit_seq,
				 (unsigned long long) (v->expect_seq - 1));
			problem(v, "audit checkpoint", v->cps[i].seq, what);
			return;
		}
	}
}

enum lethe_err lt_audit_verify(struct lt_db *db, const uint8_t key[LT_KEY_LEN], lethe_problem_fn fn,
			       void *ctx, uint64_t *records, bool *intact)
{
	struct verify_ctx v;
	enum lethe_err rc;

	memset(&v, 0, sizeof(v));
	v.db = db;
	v.key = key;
	v.fn = fn;
	v.fctx = ctx;
	v.expect_seq = 1;
	rc = lt_db_checkpoint_list(db, collect_cp, &v);
	if (rc == LETHE_OK)
		rc = v.rc;
	if (rc == LETHE_OK)
		rc = lt_db_audit_list(db, 0, INT64_MIN, verify_one, &v);
	if (rc == LETHE_OK)
		rc = v.rc;
	if (rc == LETHE_OK && !v.bad)
		check_truncation(&v);
	free(v.cps);
	if (records)
		*records = v.count;
	*intact = !v.bad;
	return rc;
}
