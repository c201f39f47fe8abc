/* cert.c - disposal certificates: append-only, chained by seq and by the SHA-256 of the
 * previous certificate (which the caller computes: store/ has no OpenSSL). Each row carries
 * its MAC; a full listing also checks the table against its digest, so a deleted or inserted
 * certificate fails it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "store/sqlite/sqlite.h"

#define CERT_COLS    "seq, id, object_id, grp, reason, shredded_at, json, sig, sha256, mac"
#define CERT_COL_MAC 9

static const struct lt_sq sq_cert_insert = {SQ_CERT_INSERT, "certificate insert",
					    "INSERT INTO certificates (" CERT_COLS
					    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"};
static const struct lt_sq sq_cert_next = {SQ_CERT_NEXT, "certificate insert",
					  "SELECT coalesce(max(seq), 0) + 1 FROM certificates"};
static const struct lt_sq sq_cert_last = {SQ_CERT_LAST, "certificate last",
					  "SELECT " CERT_COLS
					  " FROM certificates ORDER BY seq DESC LIMIT 1"};
static const struct lt_sq sq_cert_page = {
    SQ_CERT_PAGE, "certificate list",
    "SELECT " CERT_COLS " FROM certificates WHERE seq > ?1 ORDER BY seq LIMIT ?3"};
static const struct lt_sq sq_cert_count = {
    SQ_CERT_COUNT, "certificate count", "SELECT count(*) FROM certificates WHERE object_id = ?1"};
/* by the UNIQUE index on object_id: one seek, so that a listing can name each certificate */
static const struct lt_sq sq_cert_for_object = {SQ_CERT_FOR_OBJECT, "certificate of object",
						"SELECT id FROM certificates WHERE object_id = ?1"};

/* The columns of a certificate row; json points into the statement (valid until it steps). */
static void cert_cols(struct lt_sq_query *q, struct lt_db_cert *c)
{
	memset(c, 0, sizeof(*c));
	c->seq = (uint64_t) lt_sq_get_range(q, 0, 1, INT64_MAX);
	lt_sq_get_text(q, 1, c->id, sizeof(c->id));
	lt_sq_get_text(q, 2, c->object_id, sizeof(c->object_id));
	lt_sq_get_text(q, 3, c->group, sizeof(c->group));
	lt_sq_get_text(q, 4, c->reason, sizeof(c->reason));
	c->shredded_at = lt_sq_get_int(q, 5);
	c->json = lt_sq_peek_blob(q, 6, &c->json_len);
	lt_sq_get_blob(q, 7, c->sig, sizeof(c->sig), NULL);
	lt_sq_get_blob(q, 8, c->sha256, sizeof(c->sha256), NULL);
}

static void cert_encode(struct lt_sq_query *q, struct lt_rowenc *e, char *key, size_t keycap)
{
	struct lt_db_cert c;

	cert_cols(q, &c);
	snprintf(key, keycap, "%llu", (unsigned long long) c.seq);
	lt_rowenc_cert(e, &c);
}

const struct lt_sq_table lt_sq_cert_table =
    LT_SQ_TABLE(LT_ROW_CERTIFICATES, "certificates", CERT_COLS, CERT_COL_MAC, cert_encode);

/* Which unique column a duplicate certificate hit. */
static enum lethe_err cert_exists(struct lt_db *db, const struct lt_db_cert *cert)
{
	uint64_t n = 0;

	if (lt_db_cert_count_for_object(db, cert->object_id, &n) == LETHE_OK && n > 0)
		return lt_err(LETHE_ERR_EXISTS, "object %s already has a disposal certificate",
			      cert->object_id);
	return lt_err(LETHE_ERR_EXISTS, "certificate %s already exists", cert->id);
}

static void cert_encode_new(struct lt_rowenc *e, const void *row, uint64_t seq)
{
	struct lt_db_cert c = *(const struct lt_db_cert *) row;

	c.seq = seq;
	lt_rowenc_cert(e, &c);
}

static void cert_bind(struct lt_sq_query *q, const void *row)
{
	const struct lt_db_cert *cert = row;

	lt_sq_text(q, 2, cert->id, sizeof(cert->id));
	lt_sq_text(q, 3, cert->object_id, sizeof(cert->object_id));
	lt_sq_text(q, 4, cert->group, sizeof(cert->group));
	lt_sq_text(q, 5, cert->reason, sizeof(cert->reason));
	lt_sq_int(q, 6, cert->shredded_at);
	lt_sq_blob(q, 7, cert->json, cert->json_len);
	lt_sq_blob(q, 8, cert->sig, sizeof(cert->sig));
	lt_sq_blob(q, 9, cert->sha256, sizeof(cert->sha256));
}

static const struct lt_sq_append cert_append = {.next = &sq_cert_next,
						.insert = &sq_cert_insert,
						.table = LT_ROW_CERTIFICATES,
						.mac_param = 10,
						.encode = cert_encode_new,
						.bind = cert_bind};

static enum lethe_err cert_insert_row(struct lt_db *db, const struct lt_db_cert *cert,
				      uint64_t *seq)
{
	enum lethe_err rc = lt_sq_append(db, &cert_append, cert, seq);

	if (rc == LETHE_ERR_EXISTS)
		return cert_exists(db, cert);
	if (rc == LETHE_OK) {
		/* the next certificate of this transaction chains to this one */
		db->auth.cert_newest.known = true;
		db->auth.cert_newest.seq = *seq;
		memcpy(db->auth.cert_newest.sha256, cert->sha256, 32);
	}
	return rc;
}

enum lethe_err lt_db_cert_insert(struct lt_db *db, const struct lt_db_cert *cert, uint64_t *seq)
{
	bool own;
	enum lethe_err rc;

	*seq = 0;
	if (!cert->json || cert->json_len == 0)
		return lt_err(LETHE_ERR_INVALID, "certificate %s has no content", cert->id);
	rc = lt_sq_call1_begin(db, LT_ROW_CERTIFICATES, &own);
	if (rc != LETHE_OK)
		return rc;
	return lt_sq_call1_end(db, own, cert_insert_row(db, cert, seq));
}

/* The newest certificate, checked: the next one chains to it. Read (and its MAC checked) once
 * per transaction: later calls in it get the one it read or the last one it inserted. */
enum lethe_err lt_db_cert_last(struct lt_db *db, uint64_t *seq, uint8_t sha256[32])
{
	struct lt_db_cert c;
	uint8_t mac[LT_ROWMAC_LEN];
	struct lt_sq_query q;
	bool row = false, present = false, in_tx = lt_sq_in_tx(db);
	enum lethe_err rc;

	if (in_tx && db->auth.cert_newest.known) {
		*seq = db->auth.cert_newest.seq;
		memcpy(sha256, db->auth.cert_newest.sha256, 32);
		return LETHE_OK;
	}
	*seq = 0;
	memset(sha256, 0, 32);
	rc = lt_sq_open(&q, db, &sq_cert_last);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row) {
		cert_cols(&q, &c);
		lt_sq_row_check(&q, &lt_sq_cert_table, mac, &present);
		rc = q.err;
		if (rc == LETHE_OK) {
			*seq = c.seq;
			memcpy(sha256, c.sha256, 32);
		}
	}
	lt_sq_close(&q);
	if (rc == LETHE_OK && in_tx) {
		db->auth.cert_newest.known = true;
		db->auth.cert_newest.seq = *seq;
		memcpy(db->auth.cert_newest.sha256, sha256, 32);
	}
	return rc;
}

static void cert_row(struct lt_sq_query *q, struct lt_sq_pager *p, void *row)
{
	struct lt_db_cert *c = row;
	uint8_t mac[LT_ROWMAC_LEN];
	bool present = false;

	cert_cols(q, c);
	lt_sq_row_check(q, &lt_sq_cert_table, mac, &present);
	/* the pager keeps rows past the statement: copy the content */
	lt_sq_keep_blob(q, &c->json, c->json_len, "certificate list");
	lt_sq_tally_add(p->ctx, mac, present);
	p->pos = (int64_t) c->seq;
}

static void cert_release(void *row)
{
	free((void *) ((struct lt_db_cert *) row)->json);
}

enum lethe_err lt_db_cert_list(struct lt_db *db, lt_db_cert_fn fn, void *ctx)
{
	struct lt_sq_pager p;

	lt_sq_pager_init(&p, &sq_cert_page, sizeof(struct lt_db_cert), cert_row, LT_SQ_CERTS, ctx);
	p.fn.cert = fn;
	p.release = cert_release;
	/* every row seen: none deleted or inserted outside lethe */
	return lt_sq_page_whole(db, &p, LT_ROW_CERTIFICATES);
}

enum lethe_err lt_db_cert_count_for_object(struct lt_db *db, const char *object_id, uint64_t *count)
{
	int64_t n = 0;
	enum lethe_err rc = lt_sq_query_int(db, &sq_cert_count, object_id, 0, 0, &n);

	*count = rc == LETHE_OK ? (uint64_t) n : 0;
	return rc;
}

enum lethe_err lt_db_cert_id_for_object(struct lt_db *db, const char *object_id,
					char id[LETHE_ID_LEN + 1])
{
	struct lt_sq_query q;
	bool row = false;
	enum lethe_err rc;

	id[0] = '\0';
	rc = lt_sq_open(&q, db, &sq_cert_for_object);
	if (rc != LETHE_OK)
		return rc;
	lt_sq_text(&q, 1, object_id, LETHE_ID_LEN + 1);
	rc = lt_sq_step(&q, &row);
	if (rc == LETHE_OK && row) {
		lt_sq_get_text(&q, 0, id, LETHE_ID_LEN + 1);
		rc = q.err;
	}
	lt_sq_close(&q);
	return rc;
}
