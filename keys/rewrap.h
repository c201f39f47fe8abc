/* rewrap.h - moving data keys to the primary KEK (`lethe key rewrap`), each new wrap proven
 * before it is stored.
 *
 * A rewrapper keeps, for one rewrap, the KEK versions it unwraps from (a cache: each is
 * unwrapped once, not once per data key) and the primary it wraps under, pinned. Every wrap it
 * stores has been proven first (lt_dek_rewrap): unwrapped again under the primary as loaded
 * from the keystore afresh for the batch, outside the cache that supplied the wrapping key,
 * with the AAD the row records. The caller runs the batches, each in one transaction.
 */
#ifndef LT_KEYS_REWRAP_H
#define LT_KEYS_REWRAP_H

#include <stdint.h>

#include "include/lethe.h"
#include "keys/kekcache.h"
#include "keys/kekring.h"
#include "store/db.h"

struct lt_rewrapper {
	struct lt_kek_ring *ring;
	struct lt_db *db;
	struct lt_kek_cache cache;
	const uint8_t *primary_key; /* pinned in the cache while set */
	uint32_t primary;           /* the version of primary_key; 0 before the first target */
	uint8_t *check_key;         /* the primary again, loaded afresh for each batch */
	uint8_t *scratch;           /* LT_DEK_REWRAP_SCRATCH: the data key and its proof */
	/* the three keys above expanded once (lt_gcm_key_new), not for every data key: the
	 * primary, the proof key (again for each batch) and the last old version unwrapped from */
	struct lt_gcm_key *primary_gcm, *check_gcm, *old_gcm;
	uint32_t old_version; /* the version of old_gcm */
};

/* A rewrapper over @p ring and @p db; LETHE_ERR_NOMEM. Free it with lt_rewrapper_free(). */
enum lethe_err lt_rewrapper_init(struct lt_rewrapper *w, struct lt_kek_ring *ring,
				 struct lt_db *db);

/*
 * Aim a batch at primary KEK @p version (a rotation by another officer since the last batch
 * moves the target): hold it for wrapping, and load it afresh as the proof key.
 */
enum lethe_err lt_rewrapper_target(struct lt_rewrapper *w, uint32_t version);

/*
 * Move @p obj's data key to the target primary, prove the new wrap and store it in its row.
 * LETHE_ERR_INTEGRITY ("object ID: ...") when its KEK cannot be loaded, its wrap does not
 * open or the proof fails: nothing is stored for it.
 */
enum lethe_err lt_rewrapper_one(struct lt_rewrapper *w, const struct lt_db_object *obj);

/* Live data keys under versions older than the primary: what a rewrap has to move (for
 * progress only: 0 when it cannot be counted). */
uint64_t lt_rewrapper_pending(struct lt_db *db);

/* Wipe and free the keys held. */
void lt_rewrapper_free(struct lt_rewrapper *w);

#endif
