/* evidence.c - disposal certificates: list, export for auditors, verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "crypt/prim.h"
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

LETHE_API enum lethe_err lethe_evidence_list(struct lethe_store *st, lethe_cert_fn fn,
					     void *ctx)
{
	struct cert_list_ctx l = { fn, ctx };

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
	rc = lt_evkey_pub(st->db, pub);
	if (rc == LETHE_OK)
		rc = lt_ed25519_pub_to_pem(pub, pem);
	return rc;
}

/* Every certificate, copied out of the database, as the verifier and exporter take them. */
struct cert_set {
	struct lt_cert_item *items;
	size_t n, cap;
	enum lethe_err rc;
};

static void cert_set_free(struct cert_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free((void *)s->items[i].name);
		free((void *)s->items[i].json);
		free((void *)s->items[i].sig);
	}
	free(s->items);
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
		free((void *)it->name);
		goto nomem;
	}
	memcpy(json, c->json, c->json_len);
	memcpy(sig, c->sig, 64);
	it->json = json;
	it->len = c->json_len;
	it->sig = sig;
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

LETHE_API enum lethe_err lethe_evidence_export(struct lethe_store *st, const char *dir,
					       uint64_t *count)
{
	struct cert_set s;
	char *pem = NULL;
	char detail[64];
	enum lethe_err rc;

	lt_err_clear();
	if (count)
		*count = 0;
	if (!st || !dir || !*dir)
		return lt_err(LETHE_ERR_INVALID, "evidence export needs a directory");
	rc = lt_evidence_key_load(st);
	if (rc != LETHE_OK)
		return rc;
	rc = lethe_evidence_pubkey_pem(st, &pem);
	if (rc != LETHE_OK)
		return rc;
	rc = cert_set_load(st, &s);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_cert_export_dir(dir, pem, s.items, s.n, st->evidence_signer);
	snprintf(detail, sizeof(detail), "%zu certificates", s.n);
	{
		struct lt_err_saved saved;

		lt_audit_record(st, &(struct lt_audit_event){ .action = "evidence.export",
							       .err = rc,
							       .error = rc ? lt_err_save(&saved)
									   : detail });
	}
	if (rc == LETHE_OK && count)
		*count = s.n;
	cert_set_free(&s);
out:
	free(pem);
	return rc;
}

LETHE_API enum lethe_err lethe_evidence_verify_dir(const char *dir, lethe_problem_fn fn,
						   void *ctx, uint64_t *count)
{
	lt_err_clear();
	if (count)
		*count = 0;
	if (!dir)
		return lt_err(LETHE_ERR_INVALID, "no evidence directory");
	return lt_cert_verify_dir(dir, fn, ctx, count);
}

LETHE_API enum lethe_err lethe_evidence_verify(struct lethe_store *st, lethe_problem_fn fn,
					       void *ctx, uint64_t *count)
{
	uint8_t pub[LT_ED25519_PUB_LEN];
	struct cert_set s;
	enum lethe_err rc;

	lt_err_clear();
	if (count)
		*count = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_evkey_pub(st->db, pub);
	if (rc != LETHE_OK)
		return rc;
	rc = cert_set_load(st, &s);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_cert_verify_chain(pub, s.items, s.n, fn, ctx);
	if (count)
		*count = s.n;
	cert_set_free(&s);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY, "disposal evidence verification failed");
	return rc;
}
