/* rewrap.c - data keys moved to the primary KEK, each new wrap proven before it is stored. */
#include "keys/rewrap.h"

#include <string.h>

#include "common/err.h"
#include "crypt/secmem.h"
#include "keys/wrap.h"

static enum lethe_err cache_load(void *ctx, uint32_t version, uint8_t *kek)
{
	struct lt_rewrapper *w = ctx;

	return lt_kek_ring_load(w->ring, w->db, version, kek);
}

enum lethe_err lt_rewrapper_init(struct lt_rewrapper *w, struct lt_kek_ring *ring, struct lt_db *db)
{
	memset(w, 0, sizeof(*w));
	w->ring = ring;
	w->db = db;
	lt_kek_cache_init(&w->cache, cache_load, w);
	w->check_key = lt_secmem_alloc(LT_KEY_LEN);
	w->scratch = lt_secmem_alloc(LT_DEK_REWRAP_SCRATCH);
	if (!w->check_key || !w->scratch)
		return lt_err(LETHE_ERR_NOMEM, "rewrap: out of memory");
	return LETHE_OK;
}

/* Hold the primary KEK @p version for wrapping (releasing the one held before). */
static enum lethe_err hold_primary(struct lt_rewrapper *w, uint32_t version)
{
	enum lethe_err rc;

	if (w->primary_key && w->primary == version)
		return LETHE_OK;
	if (w->primary_key)
		lt_kek_cache_release(&w->cache, w->primary);
	w->primary_key = NULL;
	w->primary = 0;
	lt_gcm_key_free(w->primary_gcm);
	w->primary_gcm = NULL;
	rc = lt_kek_cache_get(&w->cache, version, &w->primary_key);
	if (rc == LETHE_OK)
		rc = lt_gcm_key_new(w->primary_key, &w->primary_gcm);
	if (rc == LETHE_OK)
		w->primary = version;
	return rc;
}

enum lethe_err lt_rewrapper_target(struct lt_rewrapper *w, uint32_t version)
{
	enum lethe_err rc = hold_primary(w, version);

	lt_gcm_key_free(w->check_gcm);
	w->check_gcm = NULL;
	if (rc == LETHE_OK)
		rc = lt_kek_ring_load(w->ring, w->db, w->primary, w->check_key);
	if (rc == LETHE_OK)
		rc = lt_gcm_key_new(w->check_key, &w->check_gcm);
	return rc;
}

enum lethe_err lt_rewrapper_one(struct lt_rewrapper *w, const struct lt_db_object *obj)
{
	uint8_t wrapped[LT_WRAPPED_LEN];
	const uint8_t *old;
	enum lethe_err rc;

	/* a row that fails its check is never rewrapped: the rewrap stops there */
	if (obj->bad != LETHE_OK)
		return lt_err(obj->bad == LETHE_ERR_NOMEM ? obj->bad : LETHE_ERR_INTEGRITY, "%s",
			      obj->bad_detail);
	rc = lt_kek_cache_get(&w->cache, obj->kek_version, &old);
	if (rc == LETHE_ERR_INTEGRITY)
		lt_err_prefix("object %s", obj->id);
	if (rc != LETHE_OK)
		return rc;
	if (!w->primary_gcm || !w->check_gcm)
		rc = lt_err(LETHE_ERR_INTERNAL, "rewrap: no target KEK");
	else if (!w->old_gcm || w->old_version != obj->kek_version) {
		lt_gcm_key_free(w->old_gcm);
		w->old_gcm = NULL;
		rc = lt_gcm_key_new(old, &w->old_gcm);
		w->old_version = rc == LETHE_OK ? obj->kek_version : 0;
	}
	if (rc == LETHE_OK)
		rc = lt_dek_rewrap_with(w->ring->store_id, obj->id, obj->group, w->old_gcm,
					obj->kek_version, obj->wrapped_dek, w->primary_gcm,
					w->check_gcm, w->primary, wrapped, w->scratch);
	lt_kek_cache_release(&w->cache, obj->kek_version);
	if (rc == LETHE_OK)
		rc = lt_db_object_set_dek_row(w->db, obj, w->primary, wrapped);
	return rc;
}

uint64_t lt_rewrapper_pending(struct lt_db *db)
{
	struct lt_db_kek primary;
	uint64_t total = 0, c;

	if (lt_db_kek_primary(db, &primary) != LETHE_OK)
		return 0;
	for (uint32_t v = 1; v < primary.version; v++)
		if (lt_db_kek_count_objects(db, v, &c) == LETHE_OK)
			total += c;
	return total;
}

void lt_rewrapper_free(struct lt_rewrapper *w)
{
	lt_gcm_key_free(w->old_gcm);
	lt_gcm_key_free(w->check_gcm);
	lt_gcm_key_free(w->primary_gcm);
	w->old_gcm = w->check_gcm = w->primary_gcm = NULL;
	w->old_version = 0;
	lt_kek_cache_free(&w->cache);
	lt_secmem_free(w->scratch, LT_DEK_REWRAP_SCRATCH);
	lt_secmem_free(w->check_key, LT_KEY_LEN);
	w->scratch = NULL;
	w->check_key = NULL;
	w->primary_key = NULL;
}
