/* rowauth.c - HMAC-SHA256 of metadata rows under the row-MAC key (keys/rowauth.h). One HMAC
 * context is keyed once and restarted per row: a sweep MACs several rows per shred. */
#include "keys/rowauth.h"

#include <stdlib.h>

#include "common/err.h"

struct lt_row_auth {
	struct lt_hmac *hmac;
};

enum lethe_err lt_row_auth_new(const uint8_t row_mac_key[LT_KEY_LEN], struct lt_row_auth **out)
{
	struct lt_row_auth *a = calloc(1, sizeof(*a));
	enum lethe_err rc;

	*out = NULL;
	if (!a)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for the row authenticator");
	rc = lt_hmac_new(row_mac_key, LT_KEY_LEN, &a->hmac);
	if (rc != LETHE_OK) {
		free(a);
		return rc;
	}
	*out = a;
	return LETHE_OK;
}

void lt_row_auth_free(struct lt_row_auth *a)
{
	if (!a)
		return;
	lt_hmac_free(a->hmac); /* cleanses the key */
	free(a);
}

void lt_row_auth_attach(struct lt_row_auth *a, struct lt_db *db)
{
	lt_db_set_row_auth(db, lt_row_auth_mac, a);
}

enum lethe_err lt_row_auth_mac(void *ctx, const uint8_t *data, size_t len, uint8_t mac[32],
			       const uint8_t *expected)
{
	struct lt_row_auth *a = ctx;
	enum lethe_err rc;

	rc = lt_hmac_restart(a->hmac);
	if (rc == LETHE_OK)
		rc = lt_hmac_update(a->hmac, data, len);
	if (rc == LETHE_OK)
		rc = lt_hmac_final(a->hmac, mac);
	if (rc == LETHE_OK && expected && !lt_memeq(mac, expected, 32))
		rc = LETHE_ERR_INTEGRITY;
	return rc;
}
