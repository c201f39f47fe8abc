/* rowauth.h - the authenticator of metadata rows: HMAC-SHA256 under the row-MAC key (derived
 * from the master key, "lethe/v1/row-mac"), given to the metadata store once a store is
 * unlocked (lt_db_set_row_auth). store/rowmac.h defines what is MAC'd. */
#ifndef LT_KEYS_ROWAUTH_H
#define LT_KEYS_ROWAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "crypt/prim.h"
#include "include/lethe.h"
#include "store/db.h"

struct lt_row_auth;

/* An authenticator keyed with @p row_mac_key (copied; the caller wipes its own). */
enum lethe_err lt_row_auth_new(const uint8_t row_mac_key[LT_KEY_LEN], struct lt_row_auth **out);
/* Wipes the key. */
void lt_row_auth_free(struct lt_row_auth *a);

/* Give @p db the authenticator (it must outlive the handle's use of it). */
void lt_row_auth_attach(struct lt_row_auth *a, struct lt_db *db);

/* lt_db_row_auth_fn over @p ctx = a struct lt_row_auth (see store/db.h). */
enum lethe_err lt_row_auth_mac(void *ctx, const uint8_t *data, size_t len, uint8_t mac[32],
			       const uint8_t *expected);

#endif
