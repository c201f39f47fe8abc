/* evidence_export.c - disposal certificates exported for auditors: all of them, or from a
 * seq, a time or where the last export ended, as one signed directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "crypt/prim.h"
#include "lib/internal.h"
#include "retention/cert.h"
#include "store/db.h"

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
