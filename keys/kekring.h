/* kekring.h - a store's KEK versions: loaded when needed, data keys wrapped and unwrapped
 * under them, new versions made, and old ones retired only when no data key goes with them.
 *
 * A KEK version lives in two places: wrapped under the kek-wrap key in the keystore's KEK
 * token (keys/keystore.h), and as a row of the metadata saying whether it is active, primary
 * or retired (store/db.h). A version is used only while its row says active and the keystore
 * has it. The ring keeps the token as it last read it (wrapped: not secret without the master
 * key) and reads it again when a version is missing from it: another process may have rotated.
 */
#ifndef LT_KEYS_KEKRING_H
#define LT_KEYS_KEKRING_H

#include <stddef.h>
#include <stdint.h>

#include "crypt/prim.h"
#include "include/lethe.h"
#include "keys/kekcache.h"
#include "keys/keystore.h"
#include "store/db.h"

struct lt_kek_ring {
	const char *keystore_path;
	const char *store_id;
	const uint8_t *wrap_key; /* the kek-wrap key, LT_KEY_LEN bytes, the caller's */
	struct lt_keystore_kek wrapped[LT_KEYSTORE_KEKS_MAX]; /* the KEK token as last read */
	size_t n; /* 0: the keystore is read at the next load */
};

/* A ring over the keystore at @p keystore_path of store @p store_id, whose KEKs are wrapped
 * under @p wrap_key. The three are borrowed: they must outlive the ring (their contents may
 * be filled in later, before the first load). */
void lt_kek_ring_init(struct lt_kek_ring *r, const char *keystore_path, const char *store_id,
		      const uint8_t *wrap_key);

/* Forget the token as read: the next load reads the keystore again. */
void lt_kek_ring_forget(struct lt_kek_ring *r);

/*
 * Unwrap KEK @p version into @p kek (a secure buffer). LETHE_ERR_INTEGRITY when its row does
 * not exist or says retired, when the keystore does not have it, or when it does not unwrap
 * (the entry was modified, or belongs to another store). A keystore read again also removes
 * the versions whose rows say retired (and not primary) and that no row holding a data key
 * names, read without indexes (lt_db_object_with_dek): a crash between a retirement's commit
 * and its keystore update leaves them there, and the first reader closes that window (best
 * effort; a version rows still need stays, for doctor to report).
 */
enum lethe_err lt_kek_ring_load(struct lt_kek_ring *r, struct lt_db *db, uint32_t version,
				uint8_t kek[LT_KEY_LEN]);

/*
 * A new KEK version in the caller's transaction: a random key, wrapped, put in the keystore,
 * then its row (version = the highest + 1, primary, active, created @p now) inserted. A crash
 * in between leaves an unused keystore entry that the next rotation (same number) replaces.
 * *version receives the new version.
 */
enum lethe_err lt_kek_ring_rotate(struct lt_kek_ring *r, struct lt_db *db, int64_t now,
				  uint32_t *version);

/*
 * Wrap @p dek for @p row (its id and group set) under the primary KEK as the metadata names it
 * now (read in the caller's transaction, so no row ever names a retired KEK): sets
 * row->wrapped_dek, kek_version and has_dek.
 */
enum lethe_err lt_kek_ring_wrap_dek(struct lt_kek_ring *r, struct lt_db *db,
				    struct lt_db_object *row, const uint8_t dek[LT_KEY_LEN]);

/* The DEK of @p row, unwrapped under the KEK version its row names; LETHE_ERR_INTEGRITY when
 * the wrap does not open (the row was modified or moved). */
enum lethe_err lt_kek_ring_unwrap_dek(struct lt_kek_ring *r, struct lt_db *db,
				      const struct lt_db_object *row, uint8_t dek[LT_KEY_LEN]);

/*
 * The data keys of many rows (a listing that shows their names): each KEK version is read and
 * unwrapped once, kept in a KEK cache (keys/kekcache.h) until lt_kek_ring_cache_free(). The
 * ring and the database are borrowed.
 */
struct lt_kek_ring_cache {
	struct lt_kek_ring *ring;
	struct lt_db *db;
	struct lt_kek_cache cache;
};
void lt_kek_ring_cache_init(struct lt_kek_ring_cache *c, struct lt_kek_ring *r, struct lt_db *db);
/* As lt_kek_ring_unwrap_dek(), through the cache. */
enum lethe_err lt_kek_ring_cache_unwrap_dek(struct lt_kek_ring_cache *c,
					    const struct lt_db_object *row,
					    uint8_t dek[LT_KEY_LEN]);
/* Wipes every KEK the cache holds. */
void lt_kek_ring_cache_free(struct lt_kek_ring_cache *c);

/*
 * In the caller's transaction, retire KEK @p version at @p now if it may go: it exists
 * (LETHE_ERR_NOT_FOUND), is not retired already (LETHE_ERR_NOT_FOUND, after removing it from
 * the keystore if a crash left it there and the check below passes), is not the primary and
 * wraps no live data key (LETHE_ERR_KEK_IN_USE), and every row that holds a data key, read
 * without indexes (lt_db_object_with_dek), is live, names another version, and its key is
 * shown to unwrap under the version it records (LETHE_ERR_INTEGRITY, "nothing retired": a row
 * edited outside lethe would otherwise lose its object for good with the KEK). Inside the
 * transaction no put or rewrap can change a row between that proof and the retirement.
 */
enum lethe_err lt_kek_ring_retire(struct lt_kek_ring *r, struct lt_db *db, uint32_t version,
				  int64_t now);

/* After the retirement committed: remove @p version from the keystore, the only copy of the
 * key outside keystore backups. */
enum lethe_err lt_kek_ring_destroy(struct lt_kek_ring *r, uint32_t version);

#endif
