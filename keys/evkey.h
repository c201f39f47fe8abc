/* evkey.h - the store's Ed25519 evidence key, which signs disposal certificates and audit
 * checkpoints: made at init, its public half and its wrapped seed kept in the metadata.
 *
 * The seed is wrapped under the evidence-wrap key (derived from the master key; keys/wrap.h):
 * someone with only the database cannot sign.
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

/* The public half from @p db: LETHE_ERR_DATABASE when it is missing. */
enum lethe_err lt_evkey_pub(struct lt_db *db, uint8_t pub[LT_ED25519_PUB_LEN]);

#endif
