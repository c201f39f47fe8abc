/* kekring.c - KEK versions loaded on demand, data keys under them, rotation and retirement. */
#include "keys/kekring.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"
#include "crypt/secmem.h"
#include "keys/kekcache.h"
#include "keys/wrap.h"

void lt_kek_ring_init(struct lt_kek_ring *r, const char *keystore_path, const char *store_id,
		      const uint8_t *wrap_key)
{
	memset(r, 0, sizeof(*r));
	r->keystore_path = keystore_path;
	r->store_id = store_id;
	r->wrap_key = wrap_key;
}

void lt_kek_ring_forget(struct lt_kek_ring *r)
{
	r->n = 0;
}

/* The wrapped form of @p version from the token as last read. */
static const struct lt_keystore_kek *ring_find(const struct lt_kek_ring *r, uint32_t version)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->wrapped[i].version == version)
			return &r->wrapped[i];
	return NULL;
}

struct retired_in_use {
	uint32_t versions[LT_KEYSTORE_KEKS_MAX];
	size_t n;
};

/* Drop from the list every version that some row's data key is still wrapped under. */
static int retired_in_use_one(const struct lt_db_object *obj, void *vctx)
{
	struct retired_in_use *u = vctx;

	/* a row that cannot be trusted may hold a key under any of them: remove none */
	if (obj->bad != LETHE_OK) {
		u->n = 0;
		return 1;
	}
	for (size_t i = 0; i < u->n;) {
		if (u->versions[i] == obj->kek_version)
			u->versions[i] = u->versions[--u->n];
		else
			i++;
	}
	return u->n == 0;
}

/*
 * A retirement whose commit a crash separated from its keystore update leaves the retired
 * version in the keystore: the first process that reads the keystore afterwards removes it,
 * so the horizon closes without waiting for an officer. The keks row alone is not trusted for
 * that (anyone who can write meta.db can mark a version retired): a version goes only when no
 * row of the objects table, read without its indexes, holds a data key under it; one that
 * rows still need stays, and doctor reports the disagreement. Best effort.
 */
static void finish_retirements(struct lt_kek_ring *r, struct lt_db *db)
{
	struct retired_in_use u = {.n = 0};
	struct lt_db_kek row;
	struct lt_err_saved saved;

	lt_err_save(&saved);
	for (size_t i = 0; i < r->n; i++) {
		if (lt_db_kek_get(db, r->wrapped[i].version, &row) == LETHE_OK &&
		    row.state == LETHE_KEK_RETIRED && !row.primary)
			u.versions[u.n++] = r->wrapped[i].version;
	}
	if (u.n > 0 && lt_db_object_with_dek(db, retired_in_use_one, &u) == LETHE_OK)
		for (size_t i = 0; i < u.n; i++)
			lt_keystore_kek_remove(r->keystore_path, u.versions[i]);
	lt_err_restore(&saved, LETHE_OK);
}

static enum lethe_err ring_get(struct lt_kek_ring *r, struct lt_db *db, uint32_t version,
			       const struct lt_keystore_kek **out)
{
	enum lethe_err rc;

	*out = ring_find(r, version);
	if (*out)
		return LETHE_OK;
	/* another process may have rotated since we last looked */
	rc = lt_keystore_keks(r->keystore_path, r->wrapped, LT_KEYSTORE_KEKS_MAX, &r->n);
	if (rc != LETHE_OK)
		return rc;
	finish_retirements(r, db);
	*out = ring_find(r, version);
	if (!*out)
		return lt_err(LETHE_ERR_INTEGRITY, "KEK version %u is not in the keystore",
			      version);
	return LETHE_OK;
}

enum lethe_err lt_kek_ring_load(struct lt_kek_ring *r, struct lt_db *db, uint32_t version,
				uint8_t kek[LT_KEY_LEN])
{
	const struct lt_keystore_kek *wrapped;
	struct lt_db_kek row;
	enum lethe_err rc;

	rc = lt_db_kek_get(db, version, &row);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_INTEGRITY, "KEK version %u does not exist", version);
	if (rc != LETHE_OK)
		return rc;
	if (row.state == LETHE_KEK_RETIRED)
		return lt_err(LETHE_ERR_INTEGRITY, "KEK version %u was retired (destroyed)",
			      version);
	rc = ring_get(r, db, version, &wrapped);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_kek_unwrap(r->wrap_key, r->store_id, version, wrapped->wrapped, kek);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "KEK version %u does not unwrap: the keystore "
			      "entry was modified or belongs to another store",
			      version);
	return rc;
}

/* A random KEK @p version, wrapped, into the keystore (before its row). */
static enum lethe_err ring_create(struct lt_kek_ring *r, uint32_t version)
{
	uint8_t *kek = lt_secmem_alloc(LT_KEY_LEN);
	uint8_t wrapped[LT_WRAPPED_LEN];
	enum lethe_err rc;

	if (!kek)
		return LETHE_ERR_NOMEM;
	rc = lt_key_generate(kek);
	if (rc == LETHE_OK)
		rc = lt_kek_wrap(r->wrap_key, r->store_id, version, kek, wrapped);
	if (rc == LETHE_OK)
		rc = lt_keystore_kek_put(r->keystore_path, version, wrapped);
	lt_secmem_free(kek, LT_KEY_LEN);
	return rc;
}

struct version_in_use {
	uint32_t version;
	uint64_t rows;
};

static int version_in_use_one(const struct lt_db_object *obj, void *ctx)
{
	struct version_in_use *u = ctx;

	if (obj->kek_version == u->version)
		u->rows++;
	return 0;
}

/*
 * The keystore may already hold the version a rotation is about to create: a crash between
 * the keystore entry and its row (the entry then wraps nothing, and is replaced), or a keks
 * table rolled back behind the keystore (the entry then wraps live data keys, and replacing it
 * would destroy them). Rows decide which, read without their indexes.
 */
static enum lethe_err rotate_check_free(struct lt_kek_ring *r, struct lt_db *db, uint32_t version)
{
	struct version_in_use u = {.version = version, .rows = 0};
	enum lethe_err rc;

	rc = lt_keystore_keks(r->keystore_path, r->wrapped, LT_KEYSTORE_KEKS_MAX, &r->n);
	if (rc != LETHE_OK || !ring_find(r, version))
		return rc;
	rc = lt_db_object_with_dek(db, version_in_use_one, &u);
	if (rc == LETHE_OK && u.rows > 0)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "KEK version %u is in the keystore and wraps the data keys of %llu "
			    "object(s), but the database does not list it: its keks table was "
			    "rolled back or edited; restore meta.db, do not rotate",
			    version, (unsigned long long) u.rows);
	return rc;
}

enum lethe_err lt_kek_ring_rotate(struct lt_kek_ring *r, struct lt_db *db, int64_t now,
				  uint32_t *version)
{
	struct lt_db_kek row;
	enum lethe_err rc;

	*version = 0;
	memset(&row, 0, sizeof(row));
	rc = lt_db_kek_max_version(db, &row.version);
	if (rc != LETHE_OK)
		return rc;
	row.version++;
	row.primary = true;
	row.state = LETHE_KEK_ACTIVE;
	row.created_at = now;
	rc = rotate_check_free(r, db, row.version);
	if (rc == LETHE_OK)
		rc = ring_create(r, row.version);
	if (rc != LETHE_OK)
		return rc;
	LT_FAULT("rotate.after_keystore");
	rc = lt_db_kek_insert(db, &row);
	if (rc == LETHE_OK)
		*version = row.version;
	return rc;
}

enum lethe_err lt_kek_ring_wrap_dek(struct lt_kek_ring *r, struct lt_db *db,
				    struct lt_db_object *row, const uint8_t dek[LT_KEY_LEN])
{
	struct lt_db_kek primary;
	uint8_t *kek = lt_secmem_alloc(LT_KEY_LEN);
	enum lethe_err rc;

	if (!kek)
		return LETHE_ERR_NOMEM;
	rc = lt_db_kek_primary(db, &primary);
	if (rc == LETHE_OK)
		rc = lt_kek_ring_load(r, db, primary.version, kek);
	if (rc == LETHE_OK)
		rc = lt_dek_wrap(kek, r->store_id, row->id, row->group, primary.version, dek,
				 row->wrapped_dek);
	if (rc == LETHE_OK) {
		row->kek_version = primary.version;
		row->has_dek = true;
	}
	lt_secmem_free(kek, LT_KEY_LEN);
	return rc;
}

enum lethe_err lt_kek_ring_unwrap_dek(struct lt_kek_ring *r, struct lt_db *db,
				      const struct lt_db_object *row, uint8_t dek[LT_KEY_LEN])
{
	uint8_t *kek = lt_secmem_alloc(LT_KEY_LEN);
	enum lethe_err rc;

	if (!kek)
		return LETHE_ERR_NOMEM;
	rc = lt_kek_ring_load(r, db, row->kek_version, kek);
	if (rc == LETHE_OK) {
		rc = lt_dek_unwrap(kek, r->store_id, row->id, row->group, row->kek_version,
				   row->wrapped_dek, dek);
		if (rc == LETHE_ERR_INTEGRITY)
			rc = lt_err(LETHE_ERR_INTEGRITY, "wrapped data key does not unwrap: the "
							 "database row was modified or moved");
	}
	lt_secmem_free(kek, LT_KEY_LEN);
	return rc;
}

/* ---- retirement ------------------------------------------------------------------------ */

/* The loader of a KEK cache over the ring. */
struct ring_source {
	struct lt_kek_ring *ring;
	struct lt_db *db;
};

static enum lethe_err cache_load(void *ctx, uint32_t version, uint8_t *kek)
{
	struct ring_source *src = ctx;

	return lt_kek_ring_load(src->ring, src->db, version, kek);
}

static enum lethe_err ring_cache_load(void *ctx, uint32_t version, uint8_t *kek)
{
	struct lt_kek_ring_cache *c = ctx;

	return lt_kek_ring_load(c->ring, c->db, version, kek);
}

void lt_kek_ring_cache_init(struct lt_kek_ring_cache *c, struct lt_kek_ring *r, struct lt_db *db)
{
	c->ring = r;
	c->db = db;
	lt_kek_cache_init(&c->cache, ring_cache_load, c);
}

enum lethe_err lt_kek_ring_cache_unwrap_dek(struct lt_kek_ring_cache *c,
					    const struct lt_db_object *row, uint8_t dek[LT_KEY_LEN])
{
	const uint8_t *kek;
	enum lethe_err rc;

	rc = lt_kek_cache_get(&c->cache, row->kek_version, &kek);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_dek_unwrap(kek, c->ring->store_id, row->id, row->group, row->kek_version,
			   row->wrapped_dek, dek);
	lt_kek_cache_release(&c->cache, row->kek_version);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(LETHE_ERR_INTEGRITY, "wrapped data key does not unwrap: the "
						 "database row was modified or moved");
	return rc;
}

void lt_kek_ring_cache_free(struct lt_kek_ring_cache *c)
{
	lt_kek_cache_free(&c->cache);
}

struct retire_check {
	const char *store_id;
	struct lt_kek_cache *cache;
	uint32_t version; /* the KEK to retire */
	uint8_t *dek;
	enum lethe_err rc;
};

static int retire_check_one(const struct lt_db_object *obj, void *vctx)
{
	struct retire_check *c = vctx;
	const uint8_t *kek;

	if (obj->bad != LETHE_OK) {
		c->rc = lt_err(obj->bad, "nothing retired: %s", obj->bad_detail);
		return 1;
	}
	/* the counts said no data key is under this version and every row that holds a key is
	 * live: a row that says otherwise was edited outside lethe, and destroying the KEK would
	 * make it unreadable for good */
	if (obj->kek_version == c->version || obj->state != LETHE_STATE_LIVE) {
		c->rc = lt_err(LETHE_ERR_INTEGRITY,
			       "nothing retired: object %s holds a data key "
			       "under KEK version %u in a row marked %s (the database was "
			       "modified)",
			       obj->id, obj->kek_version,
			       obj->state == LETHE_STATE_LIVE ? "live" : "shredded");
		return 1;
	}
	c->rc = lt_kek_cache_get(c->cache, obj->kek_version, &kek);
	if (c->rc == LETHE_ERR_INTEGRITY)
		lt_err_prefix("object %s", obj->id);
	if (c->rc == LETHE_OK) {
		c->rc = lt_dek_unwrap(kek, c->store_id, obj->id, obj->group, obj->kek_version,
				      obj->wrapped_dek, c->dek);
		lt_kek_cache_release(c->cache, obj->kek_version);
		lt_cleanse(c->dek, LT_KEY_LEN);
	}
	if (c->rc == LETHE_ERR_INTEGRITY)
		lt_err_prefix("nothing retired");
	return c->rc != LETHE_OK;
}

/*
 * Before a KEK is destroyed, every data key that must survive is shown to unwrap under the KEK
 * version its row records: the in-use count trusts kek_version, and a row whose version was
 * changed (or whose wrap was damaged) would lose its object for good with the KEK.
 */
static enum lethe_err retire_check_all(struct lt_kek_ring *r, struct lt_db *db, uint32_t version)
{
	struct ring_source src = {r, db};
	struct lt_kek_cache cache;
	struct retire_check c = {.store_id = r->store_id, .cache = &cache, .version = version};
	enum lethe_err rc;

	lt_kek_cache_init(&cache, cache_load, &src);
	c.dek = lt_secmem_alloc(LT_KEY_LEN);
	if (!c.dek)
		return lt_err(LETHE_ERR_NOMEM, "retire: out of memory");
	rc = lt_db_object_with_dek(db, retire_check_one, &c);
	if (rc == LETHE_OK)
		rc = c.rc;
	lt_kek_cache_free(&cache);
	lt_secmem_free(c.dek, LT_KEY_LEN);
	return rc;
}

enum lethe_err lt_kek_ring_retire(struct lt_kek_ring *r, struct lt_db *db, uint32_t version,
				  int64_t now)
{
	struct lt_db_kek row;
	uint64_t in_use = 0;
	enum lethe_err rc;

	rc = lt_db_kek_get(db, version, &row);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_NOT_FOUND, "no KEK version %u", version);
	if (rc != LETHE_OK)
		return rc;
	if (row.state == LETHE_KEK_RETIRED) {
		/* finish a retirement a crash interrupted after its commit, once the rows show
		 * that nothing needs it (the state column alone could be anyone's edit) */
		rc = retire_check_all(r, db, version);
		if (rc == LETHE_OK)
			rc = lt_keystore_kek_remove(r->keystore_path, version);
		if (rc != LETHE_OK)
			return rc;
		return lt_err(LETHE_ERR_NOT_FOUND, "KEK version %u is already retired", version);
	}
	if (row.primary)
		return lt_err(LETHE_ERR_KEK_IN_USE, "KEK version %u is the primary: rotate first",
			      version);
	rc = lt_db_kek_count_objects(db, version, &in_use);
	if (rc != LETHE_OK)
		return rc;
	if (in_use)
		return lt_err(LETHE_ERR_KEK_IN_USE,
			      "KEK version %u still wraps %llu data "
			      "key(s): run `lethe key rewrap` first",
			      version, (unsigned long long) in_use);
	/* inside the transaction: no put or rewrap can change a row between proof and retire */
	rc = retire_check_all(r, db, version);
	if (rc != LETHE_OK)
		return rc;
	return lt_db_kek_retire(db, version, now);
}

enum lethe_err lt_kek_ring_destroy(struct lt_kek_ring *r, uint32_t version)
{
	enum lethe_err rc = lt_keystore_kek_remove(r->keystore_path, version);

	/* the token as read names it: read it again at the next load */
	lt_kek_ring_forget(r);
	return rc;
}
