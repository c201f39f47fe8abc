/* wrap.c - the key hierarchy below the master key: purpose keys, KEK, DEK and evidence wraps.
 *
 * Purpose keys: HKDF-SHA256(salt = store id as its 36-byte text, ikm = MK, info = label), so
 * the MK itself wraps nothing and each use has its own key.
 *
 * Every wrap is lt_key_wrap() (AES-256-GCM, random nonce) with an AAD that names what is
 * wrapped. The AAD is an unambiguous concatenation:
 *
 *     aad   = field(label) || field(store id) || ... || be32(version)
 *     field = be16(length) || bytes
 *
 *     KEK:      field("lethe/v1/kek")      field(store id)                        be32(version)
 *     DEK:      field("lethe/v1/dek")      field(store id) field(object id) field(group)
 *                                                                              be32(KEK version)
 *     evidence: field("lethe/v1/evidence") field(store id)
 *     MK:       field("lethe/v1/mk")       field(store id)         (under the OAS's MK-wrap key)
 *
 * Each text field is length-prefixed, so no two different tuples encode to the same bytes
 * (object "a" in group "bc" differs from object "ab" in group "c"); integers have a fixed
 * width. A wrapped key moved to another row, object, group, version or store fails to unwrap.
 */
#include "keys/wrap.h"

#include <string.h>

#include "common/err.h"
#include "crypt/secmem.h"

#define AAD_MAX 512

static const char *const mk_labels[] = {
    [LT_MK_KEK_WRAP] = "lethe/v1/kek-wrap",           [LT_MK_AUDIT_MAC] = "lethe/v1/audit-mac",
    [LT_MK_EVIDENCE_WRAP] = "lethe/v1/evidence-wrap", [LT_MK_ROW_MAC] = "lethe/v1/row-mac",
    [LT_MK_AUDIT_ANCHOR] = "lethe/v1/audit-anchor",   [LT_MK_NAME_COMMIT] = "lethe/v1/name-commit",
};

#define AAD_KEK      "lethe/v1/kek"
#define AAD_DEK      "lethe/v1/dek"
#define AAD_EVIDENCE "lethe/v1/evidence"
#define AAD_MK       "lethe/v1/mk"

static const char *const oas_labels[] = {
    [LT_OAS_OFFICER_SIGN] = "lethe/v1/officer-sign",
    [LT_OAS_MK_WRAP] = "lethe/v1/mk-wrap",
};

/* An AAD being built; @p failed is set when a field is missing or does not fit. */
struct aad {
	uint8_t bytes[AAD_MAX];
	size_t len;
	int failed;
};

static void aad_field(struct aad *a, const char *text)
{
	size_t n;

	if (!text) {
		a->failed = 1;
		return;
	}
	n = strlen(text);
	if (n > 0xffff || n + 2 > sizeof(a->bytes) - a->len) {
		a->failed = 1;
		return;
	}
	a->bytes[a->len++] = (uint8_t) (n >> 8);
	a->bytes[a->len++] = (uint8_t) n;
	memcpy(a->bytes + a->len, text, n);
	a->len += n;
}

static void aad_u32(struct aad *a, uint32_t v)
{
	if (4 > sizeof(a->bytes) - a->len) {
		a->failed = 1;
		return;
	}
	for (int shift = 24; shift >= 0; shift -= 8)
		a->bytes[a->len++] = (uint8_t) (v >> shift);
}

static enum lethe_err aad_check(const struct aad *a, const char *what)
{
	if (a->failed)
		return lt_err(LETHE_ERR_INVALID, "%s: missing or oversized key identity", what);
	return LETHE_OK;
}

/* @p key (a 32-byte key) wrapped under @p wrap_key with @p a as its AAD; @p what names the
 * wrap when the AAD is not whole. */
static enum lethe_err aad_wrap(const struct aad *a, const char *what,
			       const uint8_t wrap_key[LT_KEY_LEN], const uint8_t *key,
			       uint8_t wrapped[LT_WRAPPED_LEN])
{
	enum lethe_err rc = aad_check(a, what);

	if (rc == LETHE_OK)
		rc = lt_key_wrap(wrap_key, a->bytes, a->len, key, wrapped);
	return rc;
}

/* The inverse of aad_wrap(): LETHE_ERR_INTEGRITY when @p wrapped does not open under
 * @p wrap_key with @p a, saying @p bad (NULL: the caller says what that means). */
static enum lethe_err aad_unwrap(const struct aad *a, const char *what,
				 const uint8_t wrap_key[LT_KEY_LEN],
				 const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t *key,
				 const char *bad)
{
	enum lethe_err rc = aad_check(a, what);

	if (rc == LETHE_OK)
		rc = lt_key_unwrap(wrap_key, a->bytes, a->len, wrapped, key);
	if (rc == LETHE_ERR_INTEGRITY && bad)
		rc = lt_err(rc, "%s", bad);
	return rc;
}

enum lethe_err lt_mk_derive(const uint8_t *mk, const char *store_id, enum lt_mk_purpose purpose,
			    uint8_t out[LT_KEY_LEN])
{
	const char *label;

	if ((unsigned) purpose >= sizeof(mk_labels) / sizeof(mk_labels[0]) || !mk_labels[purpose] ||
	    !store_id)
		return lt_err(LETHE_ERR_INVALID, "unknown master key purpose %d", (int) purpose);
	label = mk_labels[purpose];
	return lt_hkdf(store_id, strlen(store_id), mk, 32, label, strlen(label), out, LT_KEY_LEN);
}

enum lethe_err lt_key_generate(uint8_t key[LT_KEY_LEN])
{
	return lt_random(key, LT_KEY_LEN);
}

static void kek_aad(struct aad *a, const char *store_id, uint32_t version)
{
	memset(a, 0, sizeof(*a));
	aad_field(a, AAD_KEK);
	aad_field(a, store_id);
	aad_u32(a, version);
}

enum lethe_err lt_kek_wrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			   uint32_t version, const uint8_t kek[LT_KEY_LEN],
			   uint8_t wrapped[LT_WRAPPED_LEN])
{
	struct aad a;

	kek_aad(&a, store_id, version);
	return aad_wrap(&a, "KEK wrap", wrap_key, kek, wrapped);
}

enum lethe_err lt_kek_unwrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			     uint32_t version, const uint8_t wrapped[LT_WRAPPED_LEN],
			     uint8_t kek[LT_KEY_LEN])
{
	struct aad a;
	enum lethe_err rc;

	kek_aad(&a, store_id, version);
	rc = aad_unwrap(&a, "KEK unwrap", wrap_key, wrapped, kek, NULL);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(rc, "KEK version %u does not unwrap (tampered, or another store's)",
			    version);
	return rc;
}

static void dek_aad(struct aad *a, const char *store_id, const char *object_id, const char *group,
		    uint32_t kek_version)
{
	memset(a, 0, sizeof(*a));
	aad_field(a, AAD_DEK);
	aad_field(a, store_id);
	aad_field(a, object_id);
	aad_field(a, group);
	aad_u32(a, kek_version);
}

enum lethe_err lt_dek_wrap(const uint8_t kek[LT_KEY_LEN], const char *store_id,
			   const char *object_id, const char *group, uint32_t kek_version,
			   const uint8_t dek[LT_KEY_LEN], uint8_t wrapped[LT_WRAPPED_LEN])
{
	struct aad a;

	dek_aad(&a, store_id, object_id, group, kek_version);
	return aad_wrap(&a, "data key wrap", kek, dek, wrapped);
}

enum lethe_err lt_dek_unwrap(const uint8_t kek[LT_KEY_LEN], const char *store_id,
			     const char *object_id, const char *group, uint32_t kek_version,
			     const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t dek[LT_KEY_LEN])
{
	struct aad a;
	enum lethe_err rc;

	dek_aad(&a, store_id, object_id, group, kek_version);
	rc = aad_unwrap(&a, "data key unwrap", kek, wrapped, dek, NULL);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(rc,
			    "data key of object %s does not unwrap under KEK version %u "
			    "(tampered, or moved from another object)",
			    object_id, kek_version);
	return rc;
}

enum lethe_err lt_dek_rewrap_with(const char *store_id, const char *object_id, const char *group,
				  struct lt_gcm_key *old_kek, uint32_t old_version,
				  const uint8_t old_wrapped[LT_WRAPPED_LEN],
				  struct lt_gcm_key *new_kek, struct lt_gcm_key *check_kek,
				  uint32_t new_version, uint8_t new_wrapped[LT_WRAPPED_LEN],
				  uint8_t scratch[LT_DEK_REWRAP_SCRATCH])
{
	uint8_t *dek = scratch, *check = scratch + LT_KEY_LEN;
	struct aad a;
	enum lethe_err rc;

	dek_aad(&a, store_id, object_id, group, old_version);
	rc = aad_check(&a, "data key unwrap");
	if (rc == LETHE_OK)
		rc = lt_key_unwrap_with(old_kek, a.bytes, a.len, old_wrapped, dek);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = lt_err(rc,
			    "data key of object %s does not unwrap under KEK version %u "
			    "(tampered, or moved from another object)",
			    object_id, old_version);
	if (rc == LETHE_OK) {
		dek_aad(&a, store_id, object_id, group, new_version);
		rc = aad_check(&a, "data key wrap");
	}
	if (rc == LETHE_OK)
		rc = lt_key_wrap_with(new_kek, a.bytes, a.len, dek, new_wrapped);
	if (rc != LETHE_OK)
		goto out;
	/* the proof: what a later get will do, with what it will do it with */
	rc = lt_key_unwrap_with(check_kek, a.bytes, a.len, new_wrapped, check);
	if (rc == LETHE_ERR_INTEGRITY || (rc == LETHE_OK && !lt_memeq(dek, check, LT_KEY_LEN)))
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "data key of object %s: its new wrap under KEK "
			    "version %u does not unwrap to the same key",
			    object_id, new_version);
out:
	if (rc != LETHE_OK)
		lt_cleanse(new_wrapped, LT_WRAPPED_LEN);
	lt_cleanse(scratch, LT_DEK_REWRAP_SCRATCH);
	return rc;
}

enum lethe_err lt_dek_rewrap(const char *store_id, const char *object_id, const char *group,
			     const uint8_t old_kek[LT_KEY_LEN], uint32_t old_version,
			     const uint8_t old_wrapped[LT_WRAPPED_LEN],
			     const uint8_t new_kek[LT_KEY_LEN], const uint8_t check_kek[LT_KEY_LEN],
			     uint32_t new_version, uint8_t new_wrapped[LT_WRAPPED_LEN],
			     uint8_t scratch[LT_DEK_REWRAP_SCRATCH])
{
	struct lt_gcm_key *old = NULL, *new = NULL, *check = NULL;
	enum lethe_err rc;

	rc = lt_gcm_key_new(old_kek, &old);
	if (rc == LETHE_OK)
		rc = lt_gcm_key_new(new_kek, &new);
	if (rc == LETHE_OK)
		rc = lt_gcm_key_new(check_kek, &check);
	if (rc == LETHE_OK)
		rc = lt_dek_rewrap_with(store_id, object_id, group, old, old_version, old_wrapped,
					new, check, new_version, new_wrapped, scratch);
	else
		lt_cleanse(new_wrapped, LT_WRAPPED_LEN);
	lt_gcm_key_free(check);
	lt_gcm_key_free(new);
	lt_gcm_key_free(old);
	return rc;
}

static void evidence_aad(struct aad *a, const char *store_id)
{
	memset(a, 0, sizeof(*a));
	aad_field(a, AAD_EVIDENCE);
	aad_field(a, store_id);
}

enum lethe_err lt_evkey_wrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			     const uint8_t seed[LT_ED25519_PRIV_LEN],
			     uint8_t wrapped[LT_WRAPPED_LEN])
{
	struct aad a;

	evidence_aad(&a, store_id);
	return aad_wrap(&a, "evidence key wrap", wrap_key, seed, wrapped);
}

enum lethe_err lt_evkey_unwrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			       const uint8_t wrapped[LT_WRAPPED_LEN],
			       uint8_t seed[LT_ED25519_PRIV_LEN])
{
	struct aad a;

	evidence_aad(&a, store_id);
	return aad_unwrap(&a, "evidence key unwrap", wrap_key, wrapped, seed,
			  "evidence signing key does not unwrap (tampered, or another store's)");
}

enum lethe_err lt_oas_derive(const uint8_t *oas, const char *store_id, enum lt_oas_purpose purpose,
			     uint8_t out[LT_KEY_LEN])
{
	const char *label;

	if ((unsigned) purpose >= sizeof(oas_labels) / sizeof(oas_labels[0]) || !store_id)
		return lt_err(LETHE_ERR_INVALID, "unknown officer authority purpose %d",
			      (int) purpose);
	label = oas_labels[purpose];
	return lt_hkdf(store_id, strlen(store_id), oas, 32, label, strlen(label), out, LT_KEY_LEN);
}

static void mk_aad(struct aad *a, const char *store_id)
{
	memset(a, 0, sizeof(*a));
	aad_field(a, AAD_MK);
	aad_field(a, store_id);
}

enum lethe_err lt_mk_wrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			  const uint8_t mk[LT_MK_LEN], uint8_t wrapped[LT_WRAPPED_LEN])
{
	struct aad a;

	mk_aad(&a, store_id);
	return aad_wrap(&a, "master key wrap", wrap_key, mk, wrapped);
}

enum lethe_err lt_mk_unwrap(const uint8_t wrap_key[LT_KEY_LEN], const char *store_id,
			    const uint8_t wrapped[LT_WRAPPED_LEN], uint8_t mk[LT_MK_LEN])
{
	struct aad a;

	mk_aad(&a, store_id);
	return aad_unwrap(&a, "master key unwrap", wrap_key, wrapped, mk,
			  "the master key in officers.luks does not unwrap (tampered, or another "
			  "store's)");
}
