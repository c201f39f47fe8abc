/* names.c - object names at rest (keys/name.h): encrypted and committed to at the put, read
 * back for stat and ls, converted from clear text in a store from before schema 3 (the proof
 * that a certificate is the one of a given name: nameproof.c).
 *
 * A name is encrypted under a key derived from its object's data key, so the shred, which
 * destroys that key (and clears the ciphertext), leaves nothing of the name; the certificate
 * states a salted commitment whose salt only the store's keys give.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "crypt/secmem.h"
#include "keys/kekring.h"
#include "keys/name.h"
#include "lib/internal.h"
#include "store/db.h"

enum lethe_err lt_names_protect(struct lethe_store *st, struct lt_db_object *row,
				const uint8_t dek[LT_KEY_LEN], const char *name)
{
	uint8_t salt[LT_SHA256_LEN];
	enum lethe_err rc;

	rc = lt_name_seal(dek, row->id, name, row->name_enc, &row->name_enc_len);
	if (rc == LETHE_OK)
		rc = lt_name_salt(st->keys->name_commit, st->store_id, row->id, salt);
	if (rc == LETHE_OK)
		rc = lt_name_commit(salt, name, row->name_commit);
	row->has_name_enc = rc == LETHE_OK;
	row->has_name_commit = rc == LETHE_OK;
	row->name[0] = '\0';
	return rc;
}

enum lethe_err lt_names_reader_init(struct lethe_store *st, struct lt_names_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->dek = lt_secmem_alloc(2 * LT_KEY_LEN); /* the DEK, then the name key */
	if (!r->dek)
		return LETHE_ERR_NOMEM;
	lt_kek_ring_cache_init(&r->keks, &st->keks, st->db);
	return lt_hkdf_new(&r->kdf);
}

void lt_names_reader_free(struct lt_names_reader *r)
{
	if (!r->dek)
		return;
	lt_kek_ring_cache_free(&r->keks);
	lt_hkdf_free(r->kdf);
	r->kdf = NULL;
	lt_secmem_free(r->dek, 2 * LT_KEY_LEN);
	r->dek = NULL;
}

enum lethe_err lt_names_read(struct lt_names_reader *r, const struct lt_db_object *row,
			     char name[LETHE_NAME_MAX + 1])
{
	enum lethe_err rc;

	/* shredded: nothing is left; not yet converted (a read-only handle on a store from
	 * before schema 3): the clear name the row still holds */
	if (!row->has_name_enc || !row->has_dek) {
		lt_strlcpy(name, row->name, LETHE_NAME_MAX + 1);
		return LETHE_OK;
	}
	rc = lt_kek_ring_cache_unwrap_dek(&r->keks, row, r->dek);
	if (rc == LETHE_OK)
		rc = lt_name_open(r->kdf, r->dek, row->id, row->name_enc, row->name_enc_len,
				  r->dek + LT_KEY_LEN, name);
	lt_cleanse(r->dek, LT_KEY_LEN);
	if (rc != LETHE_OK)
		lt_err_prefix("object %s: name", row->id);
	return rc;
}

/* ---- conversion of a store from before schema 3 ------------------------------------------ */

struct convert {
	struct lethe_store *st;
	struct lt_kek_ring_cache keks;
	uint8_t *dek;
	uint8_t enc[LT_NAME_ENC_MAX];
	uint64_t live, shredded, bad;
	enum lethe_err rc;
};

static enum lethe_err convert_row(struct convert *c, const struct lt_db_object *row)
{
	uint8_t salt[LT_SHA256_LEN], commit[LT_SHA256_LEN];
	size_t len = 0;
	enum lethe_err rc;

	rc = lt_name_salt(c->st->keys->name_commit, c->st->store_id, row->id, salt);
	if (rc == LETHE_OK)
		rc = lt_name_commit(salt, row->name, commit);
	if (rc != LETHE_OK)
		return rc;
	/* a shredded row keeps no name at all: its key is gone, and so goes the clear text */
	if (row->state == LETHE_STATE_SHREDDED || !row->has_dek) {
		c->shredded++;
		return lt_db_object_set_name_row(c->st->db, row, NULL, 0, commit);
	}
	rc = lt_kek_ring_cache_unwrap_dek(&c->keks, row, c->dek);
	if (rc == LETHE_OK)
		rc = lt_name_seal(c->dek, row->id, row->name, c->enc, &len);
	lt_cleanse(c->dek, LT_KEY_LEN);
	if (rc == LETHE_OK)
		rc = lt_db_object_set_name_row(c->st->db, row, c->enc, len, commit);
	lt_cleanse(c->enc, sizeof(c->enc));
	if (rc == LETHE_OK)
		c->live++;
	return rc;
}

static int convert_seen(const struct lt_db_object *row, void *ctx)
{
	(void) row;
	*(bool *) ctx = true;
	return 1;
}

static int convert_one(const struct lt_db_object *row, void *ctx)
{
	struct convert *c = ctx;
	enum lethe_err rc;

	/* a row that fails its check is left as it is, for doctor to report */
	if (row->bad != LETHE_OK) {
		c->bad++;
		return 0;
	}
	rc = convert_row(c, row);
	if (rc == LETHE_ERR_INTEGRITY) {
		lt_err_clear();
		c->bad++;
		return 0;
	}
	c->rc = rc;
	return rc != LETHE_OK;
}

/*
 * A store from before schema 3 holds names in clear: the first writable keyed open encrypts
 * every live object's name under its data key, commits to it, and empties the clear column
 * (a shredded object's name is only emptied), in one transaction recorded as "store.names".
 * Rows that fail their checks are left for doctor (they fail every read anyway).
 */
enum lethe_err lt_names_convert(struct lethe_store *st)
{
	struct convert *c;
	char detail[160];
	bool any = false;
	enum lethe_err rc;

	if (st->read_only)
		return LETHE_OK;
	c = calloc(1, sizeof(*c));
	if (!c)
		return LETHE_ERR_NOMEM;
	c->st = st;
	c->dek = lt_secmem_alloc(LT_KEY_LEN);
	if (!c->dek) {
		free(c);
		return LETHE_ERR_NOMEM;
	}
	lt_kek_ring_cache_init(&c->keks, &st->keks, st->db);
	/* most opens: one probe of an empty partial index, and no transaction */
	rc = lt_db_object_unconverted_names(st->db, 1, convert_seen, &any);
	if (rc != LETHE_OK || !any)
		goto out;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_db_object_unconverted_names(st->db, SIZE_MAX, convert_one, c);
	if (rc == LETHE_OK)
		rc = c->rc;
	snprintf(detail, sizeof(detail),
		 "names of %llu live objects encrypted, of %llu shredded ones removed; %llu rows "
		 "failed their check",
		 (unsigned long long) c->live, (unsigned long long) c->shredded,
		 (unsigned long long) c->bad);
	if (rc == LETHE_OK && (c->live || c->shredded))
		rc = lt_audit_append(
		    st, &(struct lt_audit_event){.action = "store.names", .error = detail});
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
	/* no earlier version of a row (its clear name) stays in the WAL or a free page */
	if (rc == LETHE_OK)
		(void) lt_db_purge(st->db);
out:
	lt_kek_ring_cache_free(&c->keks);
	lt_secmem_free(c->dek, LT_KEY_LEN);
	free(c);
	return rc;
}
