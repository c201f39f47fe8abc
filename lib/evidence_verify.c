/* evidence_verify.c - disposal evidence verified: the store's certificates against the rest
 * of the store and the keystore's anchor, and an exported directory on its own. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/hex.h"
#include "crypt/prim.h"
#include "keys/anchor.h"
#include "lib/internal.h"
#include "retention/cert.h"
#include "store/db.h"

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
