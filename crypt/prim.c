/* prim.c - the primitives of prim.h on OpenSSL 3 EVP: AES-256-GCM, key wrap, HKDF, SHA-256,
 * HMAC, Ed25519. Every failure of OpenSSL is recorded with its error queue. */
#include "crypt/prim.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "common/err.h"
#include "crypt/prim_internal.h"

/*
 * The algorithms fetched once per process: an implicit fetch (EVP_aes_256_gcm() in an init, a
 * fetch per call) looks the provider up under its locks every time, which costs more than
 * AES-GCM on a name or a key (`ls` opens one name and one data key per object). A fetch that
 * failed is tried again by the next call (and that call fetches for itself meanwhile).
 */
static pthread_mutex_t fetched_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_CIPHER *fetched_gcm;
static EVP_KDF *fetched_hkdf;

static const EVP_CIPHER *gcm_cipher(void)
{
	EVP_CIPHER *c;

	pthread_mutex_lock(&fetched_lock);
	if (!fetched_gcm)
		fetched_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	c = fetched_gcm;
	pthread_mutex_unlock(&fetched_lock);
	return c ? c : EVP_aes_256_gcm();
}

/* The HKDF algorithm, with a reference the caller frees (EVP_KDF_free). */
static EVP_KDF *hkdf_kdf(void)
{
	EVP_KDF *k;

	pthread_mutex_lock(&fetched_lock);
	if (!fetched_hkdf)
		fetched_hkdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	k = fetched_hkdf && EVP_KDF_up_ref(fetched_hkdf) ? fetched_hkdf : NULL;
	pthread_mutex_unlock(&fetched_lock);
	return k ? k : EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
}

/* The sizes of common/sizes.h are the library's. */
_Static_assert(LT_SHA256_LEN == SHA256_DIGEST_LENGTH, "SHA-256 digest size");
_Static_assert(LT_GCM_TAG_LEN == EVP_GCM_TLS_TAG_LEN, "AES-GCM tag size");

/*
 * Empty OpenSSL's error queue of this thread into @p detail ("error:...:reason; error:...");
 * 1 if one of its errors is flagged fatal.
 */
static int crypto_drain(char *detail, size_t size)
{
	size_t used = 0;
	unsigned long code;
	int fatal = 0;

	detail[0] = '\0';
	while ((code = ERR_get_error()) != 0) {
		char one[256];
		int n;

		fatal |= ERR_FATAL_ERROR(code);
		if (used >= size - 1)
			continue;
		ERR_error_string_n(code, one, sizeof(one));
		n = snprintf(detail + used, size - used, "%s%s", used ? "; " : "", one);
		if (n < 0 || (size_t) n >= size - used)
			used = size - 1;
		else
			used += (size_t) n;
	}
	ERR_clear_error();
	return fatal;
}

static enum lethe_err crypto_record(const char *what, const char *detail)
{
	if (detail[0] == '\0')
		(void) lt_err(LETHE_ERR_CRYPTO, "%s failed (no OpenSSL error recorded)", what);
	else
		(void) lt_err(LETHE_ERR_CRYPTO, "%s failed: %s", what, detail);
	return LETHE_ERR_CRYPTO;
}

/*
 * Record LETHE_ERR_CRYPTO with what failed and OpenSSL's error queue of this thread ("HKDF:
 * error:...:reason; error:..."), and empty the queue so the next failure starts clean.
 */
enum lethe_err lt_crypto_fail(const char *what)
{
	char detail[512];

	(void) crypto_drain(detail, sizeof(detail));
	return crypto_record(what, detail);
}

enum lethe_err lt_crypto_failed_itself(const char *what)
{
	char detail[512];

	if (!crypto_drain(detail, sizeof(detail)))
		return LETHE_OK;
	return crypto_record(what, detail);
}

enum lethe_err lt_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	/* RAND_bytes takes an int: feed it in chunks. */
	while (len > 0) {
		int chunk = len > INT_MAX ? INT_MAX : (int) len;

		if (RAND_bytes(p, chunk) != 1)
			return lt_crypto_fail("RAND_bytes");
		p += chunk;
		len -= (size_t) chunk;
	}
	return LETHE_OK;
}

/* ---- AES-256-GCM ------------------------------------------------------------------------ */

/* Feed @p len bytes through EVP_CipherUpdate in int-sized chunks; out NULL means AAD. */
static int gcm_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len)
{
	while (len > 0) {
		int chunk = len > (size_t) (INT_MAX - 32) ? INT_MAX - 32 : (int) len;
		int outl = 0;

		if (EVP_CipherUpdate(ctx, out, &outl, in, chunk) != 1)
			return 0;
		in += chunk;
		if (out)
			out += chunk;
		len -= (size_t) chunk;
	}
	return 1;
}

/* One message under the key @p ctx was set up with (lt_gcm_seal, lt_gcm_key_new): a new
 * nonce restarts GCM without expanding the key again. */
static enum lethe_err gcm_seal_ctx(EVP_CIPHER_CTX *ctx, const uint8_t nonce[LT_GCM_NONCE_LEN],
				   const void *aad, size_t aad_len, const void *pt, size_t len,
				   void *ct, uint8_t tag[LT_GCM_TAG_LEN])
{
	uint8_t final_block[16];
	int outl = 0;

	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 1) != 1 ||
	    gcm_update(ctx, NULL, aad, aad_len) != 1 || gcm_update(ctx, ct, pt, len) != 1 ||
	    EVP_CipherFinal_ex(ctx, final_block, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, LT_GCM_TAG_LEN, tag) != 1)
		return lt_crypto_fail("AES-256-GCM seal");
	return LETHE_OK;
}

static enum lethe_err gcm_open_ctx(EVP_CIPHER_CTX *ctx, const uint8_t nonce[LT_GCM_NONCE_LEN],
				   const void *aad, size_t aad_len, const void *ct, size_t len,
				   const uint8_t tag[LT_GCM_TAG_LEN], void *pt)
{
	enum lethe_err rc = LETHE_OK;
	uint8_t final_block[16];
	uint8_t tag_copy[LT_GCM_TAG_LEN];
	int outl = 0;

	/* The ctrl takes a non-const pointer. */
	memcpy(tag_copy, tag, sizeof(tag_copy));
	if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 0) != 1 ||
	    gcm_update(ctx, NULL, aad, aad_len) != 1 || gcm_update(ctx, pt, ct, len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, LT_GCM_TAG_LEN, tag_copy) != 1) {
		rc = lt_crypto_fail("AES-256-GCM open");
		goto out;
	}
	ERR_clear_error();
	if (EVP_CipherFinal_ex(ctx, final_block, &outl) != 1) {
		/* A tag mismatch leaves nothing on the error queue; a failure of OpenSSL itself is
		 * no evidence of tampering. */
		rc = lt_crypto_failed_itself("AES-256-GCM open");
		if (rc == LETHE_OK)
			rc = lt_err(LETHE_ERR_INTEGRITY, "authentication tag mismatch");
	}
out:
	/* Never release plaintext whose tag did not verify. */
	if (rc != LETHE_OK && pt && len)
		OPENSSL_cleanse(pt, len);
	return rc;
}

/* A context holding @p key's schedule, for @p enc (1 seal, 0 open) until a nonce is given. */
static EVP_CIPHER_CTX *gcm_ctx_new(const uint8_t key[LT_KEY_LEN], int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx) {
		(void) lt_crypto_fail("EVP_CIPHER_CTX_new");
		return NULL;
	}
	lt_key_touch(key, LT_KEY_LEN);
	if (EVP_CipherInit_ex(ctx, gcm_cipher(), NULL, key, NULL, enc) != 1) {
		(void) lt_crypto_fail("AES-256-GCM key");
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

enum lethe_err lt_gcm_seal(const uint8_t key[LT_KEY_LEN], const uint8_t nonce[LT_GCM_NONCE_LEN],
			   const void *aad, size_t aad_len, const void *pt, size_t len, void *ct,
			   uint8_t tag[LT_GCM_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = gcm_ctx_new(key, 1);
	enum lethe_err rc;

	if (!ctx)
		return LETHE_ERR_CRYPTO;
	rc = gcm_seal_ctx(ctx, nonce, aad, aad_len, pt, len, ct, tag);
	EVP_CIPHER_CTX_free(ctx); /* cleanses the key schedule */
	return rc;
}

enum lethe_err lt_gcm_open(const uint8_t key[LT_KEY_LEN], const uint8_t nonce[LT_GCM_NONCE_LEN],
			   const void *aad, size_t aad_len, const void *ct, size_t len,
			   const uint8_t tag[LT_GCM_TAG_LEN], void *pt)
{
	EVP_CIPHER_CTX *ctx = gcm_ctx_new(key, 0);
	enum lethe_err rc;

	if (!ctx) {
		if (pt && len)
			OPENSSL_cleanse(pt, len);
		return LETHE_ERR_CRYPTO;
	}
	rc = gcm_open_ctx(ctx, nonce, aad, aad_len, ct, len, tag, pt);
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

struct lt_gcm_key {
	EVP_CIPHER_CTX *ctx;
};

enum lethe_err lt_gcm_key_new(const uint8_t key[LT_KEY_LEN], struct lt_gcm_key **out)
{
	struct lt_gcm_key *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (!k)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for an AES-256-GCM key");
	k->ctx = gcm_ctx_new(key, 1);
	if (!k->ctx) {
		free(k);
		return LETHE_ERR_CRYPTO;
	}
	*out = k;
	return LETHE_OK;
}

void lt_gcm_key_free(struct lt_gcm_key *k)
{
	if (!k)
		return;
	EVP_CIPHER_CTX_free(k->ctx); /* cleanses the key schedule */
	free(k);
}

/* ---- key wrap --------------------------------------------------------------------------- */

enum lethe_err lt_key_wrap(const uint8_t kek[LT_KEY_LEN], const void *aad, size_t aad_len,
			   const uint8_t key[LT_KEY_LEN], uint8_t wrapped[LT_WRAPPED_LEN])
{
	uint8_t *nonce = wrapped;
	uint8_t *ct = wrapped + LT_GCM_NONCE_LEN;
	uint8_t *tag = ct + LT_KEY_LEN;
	enum lethe_err rc;

	/* A random nonce: one KEK wraps many keys, 2^-32 collision odds only past 2^32 wraps. */
	rc = lt_random(nonce, LT_GCM_NONCE_LEN);
	if (rc == LETHE_OK)
		rc = lt_gcm_seal(kek, nonce, aad, aad_len, key, LT_KEY_LEN, ct, tag);
	if (rc != LETHE_OK)
		OPENSSL_cleanse(wrapped, LT_WRAPPED_LEN);
	return rc;
}

enum lethe_err lt_key_unwrap(const uint8_t kek[LT_KEY_LEN], const void *aad, size_t aad_len,
			     const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t key[LT_KEY_LEN])
{
	const uint8_t *nonce = wrapped;
	const uint8_t *ct = wrapped + LT_GCM_NONCE_LEN;
	const uint8_t *tag = ct + LT_KEY_LEN;
	enum lethe_err rc;

	rc = lt_gcm_open(kek, nonce, aad, aad_len, ct, LT_KEY_LEN, tag, key);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(
		    LETHE_ERR_INTEGRITY,
		    "wrapped key failed to unwrap (wrong key, or wrapped for something else)");
	return rc;
}

enum lethe_err lt_key_wrap_with(struct lt_gcm_key *kek, const void *aad, size_t aad_len,
				const uint8_t key[LT_KEY_LEN], uint8_t wrapped[LT_WRAPPED_LEN])
{
	uint8_t *nonce = wrapped;
	uint8_t *ct = wrapped + LT_GCM_NONCE_LEN;
	uint8_t *tag = ct + LT_KEY_LEN;
	enum lethe_err rc;

	rc = lt_random(nonce, LT_GCM_NONCE_LEN); /* as lt_key_wrap: a random nonce each time */
	if (rc == LETHE_OK)
		rc = gcm_seal_ctx(kek->ctx, nonce, aad, aad_len, key, LT_KEY_LEN, ct, tag);
	if (rc != LETHE_OK)
		OPENSSL_cleanse(wrapped, LT_WRAPPED_LEN);
	return rc;
}

enum lethe_err lt_key_unwrap_with(struct lt_gcm_key *kek, const void *aad, size_t aad_len,
				  const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t key[LT_KEY_LEN])
{
	const uint8_t *nonce = wrapped;
	const uint8_t *ct = wrapped + LT_GCM_NONCE_LEN;
	const uint8_t *tag = ct + LT_KEY_LEN;
	enum lethe_err rc;

	rc = gcm_open_ctx(kek->ctx, nonce, aad, aad_len, ct, LT_KEY_LEN, tag, key);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(
		    LETHE_ERR_INTEGRITY,
		    "wrapped key failed to unwrap (wrong key, or wrapped for something else)");
	return rc;
}

/* ---- HKDF, SHA-256, HMAC ---------------------------------------------------------------- */

enum lethe_err lt_hkdf(const void *salt, size_t salt_len, const void *ikm, size_t ikm_len,
		       const void *info, size_t info_len, void *out, size_t out_len)
{
	EVP_KDF *kdf = hkdf_kdf();
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5];
	size_t n = 0;
	enum lethe_err rc = LETHE_OK;

	if (!kdf || !(ctx = EVP_KDF_CTX_new(kdf))) {
		rc = lt_crypto_fail("HKDF setup");
		goto out;
	}
	lt_key_touch(ikm, ikm_len);
	params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0);
	params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *) ikm, ikm_len);
	/* An absent salt is HashLen zero bytes (RFC 5869 2.2), which is what OpenSSL uses. */
	if (salt_len > 0)
		params[n++] =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *) salt, salt_len);
	if (info_len > 0)
		params[n++] =
		    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *) info, info_len);
	params[n] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, out_len, params) != 1) {
		OPENSSL_cleanse(out, out_len);
		rc = lt_crypto_fail("HKDF-SHA256");
	}
out:
	EVP_KDF_CTX_free(ctx); /* cleanses its copy of the key */
	EVP_KDF_free(kdf);
	return rc;
}

void lt_sha256_prepare(void)
{
	EVP_MD_free(EVP_MD_fetch(NULL, "SHA256", NULL));
	ERR_clear_error();
}

struct lt_hkdf {
	EVP_KDF_CTX *ctx; /* HKDF in EXPAND_ONLY mode, SHA-256 */
};

enum lethe_err lt_hkdf_new(struct lt_hkdf **out)
{
	EVP_KDF *kdf = hkdf_kdf();
	struct lt_hkdf *h = calloc(1, sizeof(*h));
	OSSL_PARAM params[3];
	enum lethe_err rc = LETHE_OK;

	*out = NULL;
	if (!h) {
		EVP_KDF_free(kdf);
		return lt_err(LETHE_ERR_NOMEM, "HKDF: out of memory");
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0);
	params[1] =
	    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, (char *) "EXPAND_ONLY", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (!kdf || !(h->ctx = EVP_KDF_CTX_new(kdf)) || EVP_KDF_CTX_set_params(h->ctx, params) != 1)
		rc = lt_crypto_fail("HKDF-Expand setup");
	EVP_KDF_free(kdf);
	if (rc != LETHE_OK) {
		lt_hkdf_free(h);
		return rc;
	}
	*out = h;
	return LETHE_OK;
}

enum lethe_err lt_hkdf_derive(struct lt_hkdf *h, const void *ikm, size_t ikm_len, const void *info,
			      size_t info_len, void *out, size_t out_len)
{
	OSSL_PARAM params[3];

	lt_key_touch(ikm, ikm_len);
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *) ikm, ikm_len);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *) info, info_len);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(h->ctx, out, out_len, params) != 1) {
		OPENSSL_cleanse(out, out_len);
		return lt_crypto_fail("HKDF-Expand-SHA256");
	}
	return LETHE_OK;
}

void lt_hkdf_free(struct lt_hkdf *h)
{
	if (!h)
		return;
	EVP_KDF_CTX_free(h->ctx); /* cleanses its copy of the last key */
	free(h);
}

enum lethe_err lt_sha256(const void *data, size_t len, uint8_t out[LT_SHA256_LEN])
{
	if (EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) != 1)
		return lt_crypto_fail("SHA-256");
	return LETHE_OK;
}

struct lt_sha256 {
	EVP_MD_CTX *md;
};

enum lethe_err lt_sha256_new(struct lt_sha256 **out)
{
	struct lt_sha256 *h;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		(void) lt_err(LETHE_ERR_NOMEM, "out of memory for a SHA-256 context");
		return LETHE_ERR_NOMEM;
	}
	h->md = EVP_MD_CTX_new();
	if (!h->md || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		lt_sha256_free(h);
		return lt_crypto_fail("SHA-256 init");
	}
	*out = h;
	return LETHE_OK;
}

enum lethe_err lt_sha256_update(struct lt_sha256 *h, const void *data, size_t len)
{
	if (EVP_DigestUpdate(h->md, data, len) != 1)
		return lt_crypto_fail("SHA-256 update");
	return LETHE_OK;
}

enum lethe_err lt_sha256_final(struct lt_sha256 *h, uint8_t out[LT_SHA256_LEN])
{
	if (EVP_DigestFinal_ex(h->md, out, NULL) != 1)
		return lt_crypto_fail("SHA-256 final");
	return LETHE_OK;
}

void lt_sha256_free(struct lt_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

struct lt_hmac {
	EVP_MAC_CTX *mac;
};

enum lethe_err lt_hmac_new(const void *key, size_t key_len, struct lt_hmac **out)
{
	EVP_MAC *mac = NULL;
	struct lt_hmac *h = NULL;
	OSSL_PARAM params[2];
	enum lethe_err rc = LETHE_OK;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		(void) lt_err(LETHE_ERR_NOMEM, "out of memory for an HMAC context");
		return LETHE_ERR_NOMEM;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	if (!mac || !(h->mac = EVP_MAC_CTX_new(mac)) ||
	    EVP_MAC_init(h->mac, key, key_len, params) != 1) {
		(void) lt_crypto_fail("HMAC-SHA256 init");
		rc = LETHE_ERR_CRYPTO;
		goto out;
	}
	*out = h;
	h = NULL;
out:
	lt_hmac_free(h);
	EVP_MAC_free(mac);
	return rc;
}

enum lethe_err lt_hmac_update(struct lt_hmac *h, const void *data, size_t len)
{
	if (EVP_MAC_update(h->mac, data, len) != 1)
		return lt_crypto_fail("HMAC-SHA256 update");
	return LETHE_OK;
}

enum lethe_err lt_hmac_final(struct lt_hmac *h, uint8_t out[LT_SHA256_LEN])
{
	size_t outl = 0;

	if (EVP_MAC_final(h->mac, out, &outl, LT_SHA256_LEN) != 1 || outl != LT_SHA256_LEN)
		return lt_crypto_fail("HMAC-SHA256 final");
	return LETHE_OK;
}

enum lethe_err lt_hmac_restart(struct lt_hmac *h)
{
	/* no key: the one given to lt_hmac_new() again, without fetching or expanding it */
	if (EVP_MAC_init(h->mac, NULL, 0, NULL) != 1)
		return lt_crypto_fail("HMAC-SHA256 init");
	return LETHE_OK;
}

void lt_hmac_free(struct lt_hmac *h)
{
	if (!h)
		return;
	EVP_MAC_CTX_free(h->mac); /* cleanses the key */
	free(h);
}

enum lethe_err lt_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
			      uint8_t out[LT_SHA256_LEN])
{
	struct lt_hmac *h = NULL;
	enum lethe_err rc;

	rc = lt_hmac_new(key, key_len, &h);
	if (rc == LETHE_OK)
		rc = lt_hmac_update(h, data, len);
	if (rc == LETHE_OK)
		rc = lt_hmac_final(h, out);
	lt_hmac_free(h);
	return rc;
}

int lt_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

/* ---- Ed25519 ---------------------------------------------------------------------------- */

enum lethe_err lt_ed25519_keygen(uint8_t priv[LT_ED25519_PRIV_LEN], uint8_t pub[LT_ED25519_PUB_LEN])
{
	EVP_PKEY *pkey = NULL;
	size_t pub_len = LT_ED25519_PUB_LEN;
	enum lethe_err rc;

	/* The private key is a random 32-byte seed (RFC 8032 5.1.5); derive the public half. */
	rc = lt_random(priv, LT_ED25519_PRIV_LEN);
	if (rc != LETHE_OK)
		goto out;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, LT_ED25519_PRIV_LEN);
	if (!pkey || EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len) != 1 ||
	    pub_len != LT_ED25519_PUB_LEN) {
		rc = lt_crypto_fail("Ed25519 key generation");
		goto out;
	}
out:
	if (rc != LETHE_OK)
		OPENSSL_cleanse(priv, LT_ED25519_PRIV_LEN);
	EVP_PKEY_free(pkey); /* cleanses its copy of the seed */
	return rc;
}

struct lt_ed25519_key {
	EVP_PKEY *pkey;
};

enum lethe_err lt_ed25519_key_new(const uint8_t priv[LT_ED25519_PRIV_LEN],
				  struct lt_ed25519_key **out)
{
	struct lt_ed25519_key *key;

	*out = NULL;
	key = calloc(1, sizeof(*key));
	if (!key)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for a signing key");
	key->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, LT_ED25519_PRIV_LEN);
	if (!key->pkey) {
		free(key);
		return lt_crypto_fail("Ed25519 key setup");
	}
	*out = key;
	return LETHE_OK;
}

enum lethe_err lt_ed25519_key_sign(struct lt_ed25519_key *key, const void *msg, size_t len,
				   uint8_t sig[LT_ED25519_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t sig_len = LT_ED25519_SIG_LEN;
	enum lethe_err rc = LETHE_OK;

	/* Ed25519 is one-shot: no digest, the whole message at once. */
	if (!key || !md || EVP_DigestSignInit(md, NULL, NULL, NULL, key->pkey) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, msg, len) != 1 || sig_len != LT_ED25519_SIG_LEN)
		rc = lt_crypto_fail("Ed25519 sign");
	EVP_MD_CTX_free(md);
	return rc;
}

enum lethe_err lt_ed25519_key_pub(struct lt_ed25519_key *key, uint8_t pub[LT_ED25519_PUB_LEN])
{
	size_t pub_len = LT_ED25519_PUB_LEN;

	if (!key || EVP_PKEY_get_raw_public_key(key->pkey, pub, &pub_len) != 1 ||
	    pub_len != LT_ED25519_PUB_LEN)
		return lt_crypto_fail("Ed25519 public key");
	return LETHE_OK;
}

void lt_ed25519_key_free(struct lt_ed25519_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey); /* cleanses its copy of the seed */
	free(key);
}

enum lethe_err lt_ed25519_verify(const uint8_t pub[LT_ED25519_PUB_LEN], const void *msg, size_t len,
				 const uint8_t sig[LT_ED25519_SIG_LEN])
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	enum lethe_err rc = LETHE_OK;
	int ok;

	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, LT_ED25519_PUB_LEN);
	md = EVP_MD_CTX_new();
	if (!pkey || !md || EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) != 1) {
		rc = lt_crypto_fail("Ed25519 verify setup");
		goto out;
	}
	ERR_clear_error();
	ok = EVP_DigestVerify(md, sig, LT_ED25519_SIG_LEN, msg, len);
	if (ok != 1) {
		/* 0 is a bad signature; anything else a malformed one: both are a failed check,
		 * unless OpenSSL itself failed (out of memory) on the way. */
		rc = lt_crypto_failed_itself("Ed25519 verify");
		if (rc == LETHE_OK)
			rc = lt_err(LETHE_ERR_INTEGRITY, "Ed25519 signature does not verify");
	}
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return rc;
}

enum lethe_err lt_ed25519_pub_to_pem(const uint8_t pub[LT_ED25519_PUB_LEN], char **pem)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	char *data = NULL;
	long len;
	enum lethe_err rc = LETHE_OK;

	*pem = NULL;
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, LT_ED25519_PUB_LEN);
	bio = BIO_new(BIO_s_mem());
	if (!pkey || !bio || PEM_write_bio_PUBKEY(bio, pkey) != 1) {
		rc = lt_crypto_fail("Ed25519 public key to PEM");
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || !data) {
		rc = lt_crypto_fail("Ed25519 public key to PEM");
		goto out;
	}
	*pem = malloc((size_t) len + 1);
	if (!*pem) {
		rc = lt_err(LETHE_ERR_NOMEM, "out of memory for a PEM public key");
		goto out;
	}
	memcpy(*pem, data, (size_t) len);
	(*pem)[len] = '\0';
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}

enum lethe_err lt_ed25519_pub_from_pem(const char *pem, size_t len, uint8_t pub[LT_ED25519_PUB_LEN])
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	size_t pub_len = LT_ED25519_PUB_LEN;
	enum lethe_err rc = LETHE_OK;

	if (len > INT_MAX)
		return lt_err(LETHE_ERR_INVALID, "PEM public key too large");
	bio = BIO_new_mem_buf(pem, (int) len);
	if (!bio) {
		rc = lt_crypto_fail("BIO_new_mem_buf");
		goto out;
	}
	ERR_clear_error();
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!pkey && (rc = lt_crypto_failed_itself("PEM public key")) != LETHE_OK)
		goto out;
	if (!pkey || !EVP_PKEY_is_a(pkey, "ED25519")) {
		ERR_clear_error();
		rc = lt_err(LETHE_ERR_INVALID, "not a PEM Ed25519 public key");
		goto out;
	}
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &pub_len) != 1 ||
	    pub_len != LT_ED25519_PUB_LEN) {
		rc = lt_crypto_fail("Ed25519 raw public key");
		goto out;
	}
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return rc;
}
