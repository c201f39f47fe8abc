/* evidence.c - the evidence key, and disposal certificates listed; verify and export are
 * evidence_verify.c and evidence_export.c. */
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

enum lethe_err lt_evidence_key_load(struct lethe_store *st)
{
	enum lethe_err rc;

	if (!st->keys->evidence_loaded) {
		rc = lt_evkey_load(st->db, st->store_id, st->keys->evidence_wrap,
				   st->keys->evidence_seed);
		if (rc != LETHE_OK)
			return rc;
		st->keys->evidence_loaded = true;
	}
	/* set up once: a sweep signs one certificate per object */
	if (st->evidence_signer)
		return LETHE_OK;
	rc = lt_ed25519_key_new(st->keys->evidence_seed, &st->evidence_signer);
	if (rc == LETHE_OK)
		rc = lt_ed25519_key_pub(st->evidence_signer, st->keys->evidence_pub);
	st->keys->evidence_pub_known = rc == LETHE_OK;
	/* The public key is the seed's: a stored copy that differs was put there by someone
	 * who wanted certificates of another key believed. Nothing is signed then. */
	if (rc == LETHE_OK)
		rc = lt_evkey_pub_check(st->db, st->keys->evidence_pub);
	if (rc != LETHE_OK) {
		lt_ed25519_key_free(st->evidence_signer);
		st->evidence_signer = NULL;
	}
	return rc;
}

enum lethe_err lt_evidence_pub(struct lethe_store *st, uint8_t pub[LT_ED25519_PUB_LEN])
{
	enum lethe_err rc = lt_evidence_key_load(st);

	if (rc == LETHE_OK)
		memcpy(pub, st->keys->evidence_pub, LT_ED25519_PUB_LEN);
	return rc;
}

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
