/* evkey.h - the store's Ed25519 evidence key, which signs disposal certificates and audit
 * checkpoints: made at init, its public half and its wrapped seed kept in the metadata.
 *
 * The seed is wrapped under the evidence-wrap key (derived from the master key; keys/wrap.h):
 * someone with only the database cannot sign. The public key that counts is the one derived
 * from that seed; the stored copy is checked against it (lt_evkey_pub_check()), so that
 * replacing it in the database is detected rather than believed.
 */
#ifndef LT_KEYS_EVKEY_H
#define LT_KEYS_EVKEY_H

#include <stdint.h>

#include "crypt/prim.h"
#include "include/lethe.h"
#include "store/db.h"

/* A new evidence key for store @p store_id: its seed into @p seed (a secure buffer), its
 * public half and the seed wrapped under @p wrap_key stored in @p db (in the caller's
 * transaction). */
enum lethe_err lt_evkey_create(struct lt_db *db, const char *store_id,
			       const uint8_t wrap_key[LT_KEY_LEN],
			       uint8_t seed[LT_ED25519_PRIV_LEN]);

/* The seed from @p db, unwrapped: LETHE_ERR_DATABASE when it is missing, LETHE_ERR_INTEGRITY
 * when it does not unwrap. */
enum lethe_err lt_evkey_load(struct lt_db *db, const char *store_id,
			     const uint8_t wrap_key[LT_KEY_LEN], uint8_t seed[LT_ED25519_PRIV_LEN]);

/* The public half as stored in @p db (meta.evidence_pub): LETHE_ERR_DATABASE when it is
 * missing. Anyone who can write the database can replace it: nothing may trust it alone (see
 * lt_evkey_pub_check()). */
enum lethe_err lt_evkey_pub(struct lt_db *db, uint8_t pub[LT_ED25519_PUB_LEN]);

/*
 * Is meta.evidence_pub of @p db the public half @p derived of the seed that unwrapped under the
 * master key? The in-store public key is the derived one: a database edit cannot replace it,
 * only be caught by this check. LETHE_ERR_INTEGRITY (with the detail) when it is not;
 * LETHE_ERR_DATABASE when it is missing.
 */
enum lethe_err lt_evkey_pub_check(struct lt_db *db, const uint8_t derived[LT_ED25519_PUB_LEN]);

#endif
