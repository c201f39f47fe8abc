/* evidence.c - disposal certificates: list, export for auditors, verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/hex.h"
#include "crypt/prim.h"
#include "keys/anchor.h"
#include "keys/evkey.h"
#include "lib/internal.h"
#include "retention/cert.h"
#include "store/db.h"

struct cert_list_ctx {
	lethe_cert_fn fn;
	void *ctx;
};

static int cert_list_one(const struct lt_db_cert *c, void *vctx)
{
	struct cert_list_ctx *l = vctx;
	struct lethe_cert_info info;

	memset(&info, 0, sizeof(info));
	info.seq = c->seq;
	lt_strlcpy(info.id, c->id, sizeof(info.id));
	lt_strlcpy(info.object_id, c->object_id, sizeof(info.object_id));
	lt_strlcpy(info.group, c->group, sizeof(info.group));
	lt_strlcpy(info.reason, c->reason, sizeof(info.reason));
	info.shredded_at = c->shredded_at;
	return l->fn(&info, l->ctx);
}

LETHE_API enum lethe_err lethe_evidence_list(struct lethe_store *st, lethe_cert_fn fn, void *ctx)
{
	struct cert_list_ctx l = {fn, ctx};

	lt_err_clear();
	if (!st || !fn)
		return lt_err(LETHE_ERR_INVALID, "evidence list needs a store and a callback");
	return lt_db_cert_list(st->db, cert_list_one, &l);
}

LETHE_API enum lethe_err lethe_evidence_pubkey_pem(struct lethe_store *st, char **pem)
{
	uint8_t pub[LT_ED25519_PUB_LEN];
	enum lethe_err rc;

	lt_err_clear();
	if (pem)
		*pem = NULL;
	if (!st || !pem)
		return lt_err(LETHE_ERR_INVALID, "no store");
	/* the key bound to the master key, never meta.evidence_pub on its own */
	rc = lt_evidence_pub(st, pub);
	if (rc == LETHE_OK)
		rc = lt_ed25519_pub_to_pem(pub, pem);
	return rc;
}

LETHE_API enum lethe_err lethe_evidence_fingerprint(struct lethe_store *st, char *out)
{
	uint8_t pub[LT_ED25519_PUB_LEN];
	enum lethe_err rc;

	lt_err_clear();
	if (out)
		out[0] = '\0';
	if (!st || !out)
		return lt_err(LETHE_ERR_INVALID, "evidence fingerprint needs a store and a buffer");
	rc = lt_evidence_pub(st, pub);
	if (rc == LETHE_OK)
		lt_cert_fingerprint_hex(pub, out);
	return rc;
}

/* Every certificate, copied out of the database, as the verifier and exporter take them. */
struct cert_set {
	struct lt_cert_item *items;
	int64_t *shredded_at;
	size_t n, cap;
	enum lethe_err rc;
};

static void cert_set_free(struct cert_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free((void *) s->items[i].name);
		free((void *) s->items[i].json);
		free((void *) s->items[i].sig);
	}
	free(s->items);
	free(s->shredded_at);
	memset(s, 0, sizeof(*s));
}

static int cert_collect(const struct lt_db_cert *c, void *vctx)
{
	struct cert_set *s = vctx;
	struct lt_cert_item *it;
	uint8_t *json, *sig;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *p = realloc(s->items, cap * sizeof(*s->items));

		if (!p)
			goto nomem;
		s->items = p;
		p = realloc(s->shredded_at, cap * sizeof(*s->shredded_at));
		if (!p)
			goto nomem;
		s->shredded_at = p;
		s->cap = cap;
	}
	it = &s->items[s->n];
	memset(it, 0, sizeof(*it));
	json = malloc(c->json_len ? c->json_len : 1);
	sig = malloc(64);
	it->name = strdup(c->id);
	if (!json || !sig || !it->name) {
		free(json);
		free(sig);
		free((void *) it->name);
		goto nomem;
	}
	memcpy(json, c->json, c->json_len);
	memcpy(sig, c->sig, 64);
	it->json = json;
	it->len = c->json_len;
	it->sig = sig;
	s->shredded_at[s->n] = c->shredded_at;
	s->n++;
	return 0;
nomem:
	s->rc = LETHE_ERR_NOMEM;
	return 1;
}

static enum lethe_err cert_set_load(struct lethe_store *st, struct cert_set *s)
{
	enum lethe_err rc;

	memset(s, 0, sizeof(*s));
	rc = lt_db_cert_list(st->db, cert_collect, s);
	if (rc == LETHE_OK)
		rc = s->rc;
	if (rc != LETHE_OK)
		cert_set_free(s);
	return rc;
}

/* Report a problem, counted, to @p fn. */
struct problem_relay {
	lethe_problem_fn fn;
	void *ctx;
	uint64_t count;
	char first[256];
};

static void relay_problem(const char *where, const char *what, void *vctx)
{
	struct problem_relay *r = vctx;

	if (r->count++ == 0)
		(void) snprintf(r->first, sizeof(r->first), "%s: %s", where, what);
	if (r->fn)
		r->fn(where, what, r->ctx);
}

/*
 * The newest certificate the keystore's anchor names must still be there, unchanged: deleting
 * the newest certificates together with their objects' rows and audit records leaves no other
 * trace in meta.db. (@p rc: what the checks before said; a listing that failed on its own is
 * reported here if nothing else was.)
 */
static enum lethe_err anchored_cert_check(struct lethe_store *st, struct problem_relay *r,
					  enum lethe_err rc)
{
	struct lt_anchor a;
	uint8_t sha[32];
	uint64_t seq = 0;
	bool found = false;
	char what[160];

	if (rc == LETHE_ERR_INTEGRITY && r->count == 0)
		relay_problem("certificates", lt_err_detail(), r);
	rc = lt_anchor_read(st->keystore_path, st->keys->audit_anchor, st->store_id, &a, &found);
	if (rc == LETHE_ERR_INTEGRITY) {
		relay_problem("audit anchor", lt_err_detail(), r);
		return LETHE_OK;
	}
	if (rc != LETHE_OK || !found || a.cert_seq == 0)
		return rc;
	rc = lt_db_cert_last(st->db, &seq, sha);
	if (rc == LETHE_ERR_INTEGRITY) {
		relay_problem("certificates", lt_err_detail(), r);
		return LETHE_OK;
	}
	if (rc != LETHE_OK)
		return rc;
	if (seq < a.cert_seq) {
		snprintf(what, sizeof(what),
			 "certificate %llu is anchored in keystore.luks but the "
			 "store's newest is %llu: certificates were deleted",
			 (unsigned long long) a.cert_seq, (unsigned long long) seq);
		relay_problem("certificates", what, r);
	} else if (seq == a.cert_seq && !lt_memeq(sha, a.cert_sha256, sizeof(sha))) {
		snprintf(what, sizeof(what),
			 "certificate %llu is not the one anchored in "
			 "keystore.luks",
			 (unsigned long long) seq);
		relay_problem("certificates", what, r);
	}
	return LETHE_OK;
}

/*
 * The store's certificates under the key bound to the master key, against the rest of the
 * store. A meta.evidence_pub that is not that key is reported (and the certificates are
 * still checked under the bound key, when it could be derived at all).
 */
static enum lethe_err verify_in_store(struct lethe_store *st, struct problem_relay *r,
				      uint64_t *count)
{
	uint8_t pub[LT_ED25519_PUB_LEN];
	enum lethe_err rc;

	rc = lt_evidence_pub(st, pub);
	if (rc == LETHE_ERR_INTEGRITY && st->keys->evidence_pub_known) {
		relay_problem("meta.evidence_pub", lt_err_detail(), r);
		memcpy(pub, st->keys->evidence_pub, sizeof(pub));
	} else if (rc != LETHE_OK) {
		return rc;
	}
	rc = lt_cert_verify_store(st->db, pub, relay_problem, r, count);
	if (rc == LETHE_OK || rc == LETHE_ERR_INTEGRITY)
		rc = anchored_cert_check(st, r, rc);
	if (rc == LETHE_OK && r->count > 0)
		rc = LETHE_ERR_INTEGRITY;
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "disposal evidence verification failed (%llu "
			      "problem%s; first: %s)",
			      (unsigned long long) r->count, r->count == 1 ? "" : "s", r->first);
	return rc;
}

enum lethe_err lt_evidence_check(struct lethe_store *st, lethe_problem_fn fn, void *ctx,
				 uint64_t *count)
{
	struct problem_relay relay = {fn, ctx, 0, {0}};

	return verify_in_store(st, &relay, count);
}

/* Where the last export ended: the seq an incremental export continues after (meta). */
static const char EXPORTED_KEY[] = "evidence_exported_seq";

static uint64_t exported_seq(struct lethe_store *st)
{
	char text[24];
	size_t len = 0;
	unsigned long long v;

	if (lt_db_meta_get(st->db, EXPORTED_KEY, text, sizeof(text) - 1, &len) != LETHE_OK ||
	    len >= sizeof(text)) {
		lt_err_clear();
		return 0;
	}
	text[len] = '\0';
	return sscanf(text, "%llu", &v) == 1 ? (uint64_t) v : 0;
}

/* Index into @p s of the first certificate to export. */
static size_t export_start(struct lethe_store *st, const struct cert_set *s, int from,
			   int64_t since)
{
	if (from == LETHE_EXPORT_SINCE_LAST) {
		uint64_t done = exported_seq(st);

		return done < s->n ? (size_t) done : s->n;
	}
	if (from == LETHE_EXPORT_SINCE) {
		/* shredded_at never goes backwards along the chain (the verifier checks it) */
		for (size_t i = 0; i < s->n; i++) {
			if (s->shredded_at[i] >= since)
				return i;
		}
		return s->n;
	}
	if (from == LETHE_EXPORT_FROM_SEQ && since > 1)
		return (uint64_t) since - 1 < s->n ? (size_t) since - 1 : s->n;
	return 0;
}

LETHE_API enum lethe_err lethe_evidence_export_from(struct lethe_store *st, const char *dir,
						    int from, int64_t since, uint64_t *first_seq,
						    uint64_t *count)
{
	struct lt_cert_export e = {0};
	uint8_t prev[LT_SHA256_LEN];
	struct cert_set s;
	char *pem = NULL;
	char detail[96];
	uint64_t checked = 0;
	size_t start;
	enum lethe_err rc;

	lt_err_clear();
	if (count)
		*count = 0;
	if (first_seq)
		*first_seq = 0;
	if (!st || !dir || !*dir)
		return lt_err(LETHE_ERR_INVALID, "evidence export needs a directory");
	if (from != LETHE_EXPORT_ALL && from != LETHE_EXPORT_SINCE_LAST &&
	    from != LETHE_EXPORT_SINCE && from != LETHE_EXPORT_FROM_SEQ)
		return lt_err(LETHE_ERR_INVALID, "evidence export: unknown range");
	rc = lt_evidence_key_load(st);
	if (rc != LETHE_OK)
		return rc;
	/* Export nothing the store itself contradicts: a signed set handed to an auditor must
	 * not hide a missing certificate or one its put record disowns. */
	rc = lt_evidence_check(st, NULL, NULL, &checked);
	if (rc == LETHE_ERR_INTEGRITY)
		lt_err_prefix("refusing to export");
	if (rc != LETHE_OK)
		return rc;
	rc = lethe_evidence_pubkey_pem(st, &pem);
	if (rc != LETHE_OK)
		return rc;
	rc = cert_set_load(st, &s);
	if (rc != LETHE_OK)
		goto out;
	start = export_start(st, &s, from, since);
	e.pub_pem = pem;
	e.items = s.items + start;
	e.count = s.n - start;
	e.first_seq = (uint64_t) start + 1;
	e.signer = st->evidence_signer;
	if (start > 0) {
		rc = lt_sha256(s.items[start - 1].json, s.items[start - 1].len, prev);
		e.prev_sha256 = prev;
	}
	if (rc == LETHE_OK)
		rc = lt_cert_export_dir(dir, &e);
	snprintf(detail, sizeof(detail), "%zu certificates, seq %zu to %zu", e.count, start + 1,
		 s.n);
	{
		struct lt_err_saved saved;

		lt_audit_record(
		    st, &(struct lt_audit_event){.action = "evidence.export",
						 .err = rc,
						 .error = rc ? lt_err_save(&saved) : detail});
	}
	/* The next incremental export starts after this one. A read-only store cannot note it:
	 * its next export repeats these certificates, which is harmless. */
	if (rc == LETHE_OK && !st->read_only) {
		char text[24];

		snprintf(text, sizeof(text), "%zu", s.n);
		if (lt_db_meta_set(st->db, EXPORTED_KEY, text, strlen(text)) != LETHE_OK)
			lt_err_clear();
	}
	if (rc == LETHE_OK && count)
		*count = e.count;
	if (rc == LETHE_OK && first_seq)
		*first_seq = e.first_seq;
	cert_set_free(&s);
out:
	free(pem);
	return rc;
}

LETHE_API enum lethe_err lethe_evidence_export(struct lethe_store *st, const char *dir,
					       uint64_t *count)
{
	return lethe_evidence_export_from(st, dir, LETHE_EXPORT_ALL, 0, NULL, count);
}

LETHE_API enum lethe_err lethe_evidence_verify_dir_pinned(const char *dir, const char *pubkey_file,
							  const char *fingerprint,
							  lethe_problem_fn fn, void *ctx,
							  uint64_t *count, char *fingerprint_out)
{
	uint8_t pin_pub[LT_ED25519_PUB_LEN], pin_fpr[LT_SHA256_LEN], used[LT_ED25519_PUB_LEN];
	struct lt_cert_pin pin = {NULL, NULL};
	char *pem = NULL;
	size_t len = 0;
	bool have_used = false;
	enum lethe_err rc;

	lt_err_clear();
	if (count)
		*count = 0;
	if (fingerprint_out)
		fingerprint_out[0] = '\0';
	if (!dir || !count)
		return lt_err(LETHE_ERR_INVALID, "no evidence directory");
	if (pubkey_file && fingerprint)
		return lt_err(LETHE_ERR_INVALID, "pin the evidence key by its public key or by its "
						 "fingerprint, not both");
	if (fingerprint) {
		if (strlen(fingerprint) != LETHE_FINGERPRINT_LEN ||
		    lt_unhex(fingerprint, pin_fpr, sizeof(pin_fpr)) != LETHE_OK)
			return lt_err(LETHE_ERR_INVALID,
				      "fingerprint: expected %d hexadecimal "
				      "digits (the SHA-256 of the raw public key)",
				      LETHE_FINGERPRINT_LEN);
		pin.fpr = pin_fpr;
	}
	if (pubkey_file) {
		rc = lt_read_file(pubkey_file, 4096, &pem, &len);
		if (rc == LETHE_OK && lt_ed25519_pub_from_pem(pem, len, pin_pub) != LETHE_OK)
			rc = lt_err(LETHE_ERR_INVALID, "%s: not a PEM Ed25519 public key",
				    pubkey_file);
		free(pem);
		if (rc != LETHE_OK)
			return rc;
		pin.pub = pin_pub;
	}
	rc = lt_cert_verify_dir_pinned(dir, &pin, fn, ctx, count, used, &have_used);
	if (have_used && fingerprint_out)
		lt_cert_fingerprint_hex(used, fingerprint_out);
	return rc;
}

LETHE_API enum lethe_err lethe_evidence_verify_dir(const char *dir, lethe_problem_fn fn, void *ctx,
						   uint64_t *count)
{
	uint64_t n = 0;
	enum lethe_err rc = lethe_evidence_verify_dir_pinned(dir, NULL, NULL, fn, ctx, &n, NULL);

	if (count)
		*count = n;
	return rc;
}

LETHE_API enum lethe_err lethe_evidence_verify(struct lethe_store *st, lethe_problem_fn fn,
					       void *ctx, uint64_t *count)
{
	uint64_t n = 0;
	enum lethe_err rc;

	lt_err_clear();
	if (count)
		*count = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_evidence_check(st, fn, ctx, &n);
	if (count)
		*count = n;
	return rc;
}
