/* anchor.c - the audit anchor in keystore.luks: its byte layout (keys/anchor.h), its MAC, and
 * reading and advancing it under the keystore's lock. */
#include "keys/anchor.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "keys/keystore.h"

#define ANCHOR_MAGIC   "LTA1"
#define ANCHOR_LABEL   "lethe/v1/audit-anchor"
#define ANCHOR_BODY    92 /* the bytes the MAC covers */
#define STORE_ID_BYTES 36

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t) v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static enum lethe_err anchor_mac(const uint8_t key[LT_KEY_LEN], const char *store_id,
				 const uint8_t body[ANCHOR_BODY], uint8_t out[32])
{
	struct lt_hmac *h = NULL;
	enum lethe_err rc;

	if (!store_id || strlen(store_id) != STORE_ID_BYTES)
		return lt_err(LETHE_ERR_INVALID, "anchor: bad store id");
	rc = lt_hmac_new(key, LT_KEY_LEN, &h);
	if (rc == LETHE_OK)
		rc = lt_hmac_update(h, ANCHOR_LABEL, strlen(ANCHOR_LABEL));
	if (rc == LETHE_OK)
		rc = lt_hmac_update(h, store_id, STORE_ID_BYTES);
	if (rc == LETHE_OK)
		rc = lt_hmac_update(h, body, ANCHOR_BODY);
	if (rc == LETHE_OK)
		rc = lt_hmac_final(h, out);
	lt_hmac_free(h);
	return rc;
}

enum lethe_err lt_anchor_encode(const uint8_t key[LT_KEY_LEN], const char *store_id,
				const struct lt_anchor *a, uint8_t out[LT_ANCHOR_LEN])
{
	memcpy(out, ANCHOR_MAGIC, 4);
	put_u64(out + 4, a->audit_seq);
	memcpy(out + 12, a->audit_mac, 32);
	put_u64(out + 44, a->cert_seq);
	memcpy(out + 52, a->cert_sha256, 32);
	put_u64(out + 84, (uint64_t) a->time_us);
	return anchor_mac(key, store_id, out, out + ANCHOR_BODY);
}

enum lethe_err lt_anchor_decode(const uint8_t key[LT_KEY_LEN], const char *store_id,
				const uint8_t in[LT_ANCHOR_LEN], struct lt_anchor *out)
{
	uint8_t mac[32];
	enum lethe_err rc;

	memset(out, 0, sizeof(*out));
	if (memcmp(in, ANCHOR_MAGIC, 4) != 0)
		return lt_err(LETHE_ERR_INTEGRITY, "the audit anchor is not in a known format");
	rc = anchor_mac(key, store_id, in, mac);
	if (rc != LETHE_OK)
		return rc;
	if (!lt_memeq(mac, in + ANCHOR_BODY, 32))
		return lt_err(LETHE_ERR_INTEGRITY, "the audit anchor's MAC does not verify: it "
						   "was modified, or belongs to another store");
	out->audit_seq = get_u64(in + 4);
	memcpy(out->audit_mac, in + 12, 32);
	out->cert_seq = get_u64(in + 44);
	memcpy(out->cert_sha256, in + 52, 32);
	out->time_us = (int64_t) get_u64(in + 84);
	return LETHE_OK;
}

/* The anchor in a token's JSON: {"type":"lethe-anchor","keyslots":[],"anchor":HEX}. */
static enum lethe_err anchor_parse(const char *json, const uint8_t key[LT_KEY_LEN],
				   const char *store_id, struct lt_anchor *out)
{
	uint8_t body[LT_ANCHOR_LEN];
	struct lt_json *root = NULL;
	const char *hex;
	enum lethe_err rc = LETHE_OK;

	(void) lt_json_parse(json, strlen(json), LT_JSON_NO_DUPLICATES, &root);
	hex = lt_json_string(lt_json_get(root, "anchor"));
	if (!hex || !lt_hex_valid(hex, LT_ANCHOR_LEN) ||
	    lt_unhex(hex, body, LT_ANCHOR_LEN) != LETHE_OK)
		rc = lt_err(LETHE_ERR_INTEGRITY, "the audit anchor token is malformed");
	if (rc == LETHE_OK)
		rc = lt_anchor_decode(key, store_id, body, out);
	lt_json_free(root);
	return rc;
}

static enum lethe_err anchor_json(const uint8_t key[LT_KEY_LEN], const char *store_id,
				  const struct lt_anchor *a, char **json)
{
	uint8_t body[LT_ANCHOR_LEN];
	char hex[2 * LT_ANCHOR_LEN + 1];
	struct lt_json_build b;
	size_t len;
	enum lethe_err rc;

	rc = lt_anchor_encode(key, store_id, a, body);
	if (rc != LETHE_OK)
		return rc;
	lt_hex(body, LT_ANCHOR_LEN, hex);
	lt_json_begin(&b);
	lt_json_add_string(&b, "type", LT_ANCHOR_TOKEN_TYPE);
	lt_json_array_open(&b, "keyslots");
	lt_json_close(&b);
	lt_json_add_string(&b, "anchor", hex);
	return lt_json_end(&b, LT_JSON_COMPACT, json, &len);
}

enum lethe_err lt_anchor_read(const char *keystore, const uint8_t key[LT_KEY_LEN],
			      const char *store_id, struct lt_anchor *out, bool *found)
{
	char *json = NULL;
	enum lethe_err rc;

	memset(out, 0, sizeof(*out));
	*found = false;
	rc = lt_keystore_token_read(keystore, LT_ANCHOR_TOKEN_TYPE, &json);
	if (rc != LETHE_OK || !json)
		return rc;
	*found = true;
	rc = anchor_parse(json, key, store_id, out);
	free(json);
	return rc;
}

struct advance_ctx {
	const uint8_t *key;
	const char *store_id;
	const struct lt_anchor *seen;
	bool create, reset;
	lt_anchor_check_fn check;
	void *check_ctx;
};

static enum lethe_err advance_one(const char *current, char **replacement, void *vctx)
{
	struct advance_ctx *c = vctx;
	struct lt_anchor a;
	bool moved = false;
	enum lethe_err rc;

	if (c->reset) {
		a = *c->seen;
		a.time_us = lt_now_us();
		return anchor_json(c->key, c->store_id, &a, replacement);
	}
	if (!current) {
		if (!c->create)
			return LETHE_ERR_NOT_FOUND;
		memset(&a, 0, sizeof(a));
		moved = true;
	} else {
		rc = anchor_parse(current, c->key, c->store_id, &a);
		if (rc != LETHE_OK)
			return rc;
		if (c->check &&
		    (c->seen->audit_seq > a.audit_seq || c->seen->cert_seq > a.cert_seq)) {
			rc = c->check(&a, c->check_ctx);
			if (rc != LETHE_OK)
				return rc;
		}
	}
	if (c->seen->audit_seq > a.audit_seq) {
		a.audit_seq = c->seen->audit_seq;
		memcpy(a.audit_mac, c->seen->audit_mac, 32);
		moved = true;
	}
	if (c->seen->cert_seq > a.cert_seq) {
		a.cert_seq = c->seen->cert_seq;
		memcpy(a.cert_sha256, c->seen->cert_sha256, 32);
		moved = true;
	}
	if (!moved)
		return LETHE_OK;
	a.time_us = lt_now_us();
	return anchor_json(c->key, c->store_id, &a, replacement);
}

enum lethe_err lt_anchor_advance(const char *keystore, const uint8_t key[LT_KEY_LEN],
				 const char *store_id, const struct lt_anchor *seen, bool create,
				 lt_anchor_check_fn check, void *check_ctx)
{
	struct advance_ctx c = {key, store_id, seen, create, false, check, check_ctx};

	return lt_keystore_token_update(keystore, LT_ANCHOR_TOKEN_TYPE, advance_one, &c);
}

enum lethe_err lt_anchor_reset(const char *keystore, const uint8_t key[LT_KEY_LEN],
			       const char *store_id, const struct lt_anchor *seen)
{
	struct advance_ctx c = {key, store_id, seen, true, true, NULL, NULL};

	return lt_keystore_token_update(keystore, LT_ANCHOR_TOKEN_TYPE, advance_one, &c);
}
