/* authority.c - officers.luks: the officer authority secret behind officer passphrases only,
 * the signed roster of officers, and the master key wrapped for officers.
 *
 * The roster's signed bytes (docs/KEYS.md section 3b), field(x) = be16(len) || x:
 *
 *     field("lethe/v1/officer-roster") || field(store id) || be32(serial) || be32(count)
 *         || for each officer in keyslot order: be32(keyslot) || field(name)
 *
 * The token is rewritten whole by every change: serial + 1, the officers, the signature. Add
 * puts the keyslot first and the roster second; remove the roster first and destroys the
 * keyslot second: a crash between the two leaves a keyslot no roster names, which nothing
 * tries (doctor reports it, --repair destroys it), never a name without its authority.
 * A passphrase change is an add and a remove in one roster write: the new keyslot first, the
 * roster naming it instead of the old one second, the old keyslot destroyed last; at every
 * moment exactly one of the two passphrases opens the officer's keyslot.
 */
#include "keys/authority.h"

#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/str.h"
#include "crypt/secmem.h"
#include "keys/luks.h"
#include "keys/wrap.h"

#define AUTHORITY_LABEL "lethe-officers"
#define TOKEN_TYPE      "lethe-authority"
#define ROSTER_LABEL    "lethe/v1/officer-roster"
#define TOKENS_MAX      32
#define ROSTER_MAX      (2 + 64 + 2 + LETHE_ID_LEN + 8 + LT_AUTHORITY_OFFICERS * (4 + 2 + 64))

/* ---- the roster's signed bytes ------------------------------------------------------ */

struct msg {
	uint8_t bytes[ROSTER_MAX];
	size_t len;
};

static void msg_u32(struct msg *m, uint32_t v)
{
	for (int shift = 24; shift >= 0; shift -= 8)
		m->bytes[m->len++] = (uint8_t) (v >> shift);
}

static void msg_field(struct msg *m, const char *text)
{
	size_t n = strlen(text);

	m->bytes[m->len++] = (uint8_t) (n >> 8);
	m->bytes[m->len++] = (uint8_t) n;
	memcpy(m->bytes + m->len, text, n);
	m->len += n;
}

/* Names are at most LETHE_OFFICER_MAX bytes and the store id LETHE_ID_LEN: it always fits. */
static void roster_msg(const struct lt_authority *a, struct msg *m)
{
	m->len = 0;
	msg_field(m, ROSTER_LABEL);
	msg_field(m, a->store_id);
	msg_u32(m, a->serial);
	msg_u32(m, (uint32_t) a->count);
	for (size_t i = 0; i < a->count; i++) {
		msg_u32(m, (uint32_t) a->officer[i].keyslot);
		msg_field(m, a->officer[i].name);
	}
}

/* ---- the OAK -------------------------------------------------------------------------- */

enum lethe_err lt_authority_signer(const uint8_t *oas, const char *store_id,
				   struct lt_ed25519_key **out)
{
	uint8_t *seed = lt_secmem_alloc(LT_ED25519_PRIV_LEN);
	enum lethe_err rc;

	*out = NULL;
	if (!seed)
		return lt_err(LETHE_ERR_NOMEM, "out of memory for the officer authority key");
	rc = lt_oas_derive(oas, store_id, LT_OAS_OFFICER_SIGN, seed);
	if (rc == LETHE_OK)
		rc = lt_ed25519_key_new(seed, out);
	lt_secmem_free(seed, LT_ED25519_PRIV_LEN);
	return rc;
}

enum lethe_err lt_authority_fingerprint(const uint8_t pub[LT_ED25519_PUB_LEN], char hex[65])
{
	uint8_t digest[LT_SHA256_LEN];
	enum lethe_err rc = lt_sha256(pub, LT_ED25519_PUB_LEN, digest);

	if (rc == LETHE_OK)
		lt_hex(digest, sizeof(digest), hex);
	else
		hex[0] = '\0';
	return rc;
}

/* The roster signed by the OAK of @p oas; @p a->pub set to that OAK's public key. */
static enum lethe_err roster_sign(struct lt_authority *a, const uint8_t *oas,
				  uint8_t sig[LT_ED25519_SIG_LEN])
{
	struct lt_ed25519_key *oak = NULL;
	struct msg m;
	enum lethe_err rc;

	rc = lt_authority_signer(oas, a->store_id, &oak);
	if (rc == LETHE_OK)
		rc = lt_ed25519_key_pub(oak, a->pub);
	if (rc == LETHE_OK) {
		roster_msg(a, &m);
		rc = lt_ed25519_key_sign(oak, m.bytes, m.len, sig);
	}
	lt_ed25519_key_free(oak);
	return rc;
}

/* ---- the token ------------------------------------------------------------------------ */

static enum lethe_err token_find(struct crypt_device *cd, const char *path, int *token,
				 struct lt_json **root)
{
	int max = crypt_token_max(CRYPT_LUKS2);

	*token = -1;
	*root = NULL;
	if (max > TOKENS_MAX)
		max = TOKENS_MAX;
	for (int t = 0; t < max; t++) {
		const char *type = NULL, *json = NULL;
		crypt_token_info status = crypt_token_status(cd, t, &type);

		if (status == CRYPT_TOKEN_INVALID || status == CRYPT_TOKEN_INACTIVE || !type ||
		    strcmp(type, TOKEN_TYPE) != 0)
			continue;
		if (*token >= 0)
			return lt_err(LETHE_ERR_INTEGRITY, "%s: more than one roster", path);
		if (crypt_token_json_get(cd, t, &json) < 0 || !json ||
		    lt_json_parse(json, strlen(json), LT_JSON_NO_DUPLICATES, root) != LETHE_OK) {
			lt_json_free(*root);
			*root = NULL;
			return lt_err(LETHE_ERR_KEYSTORE, "%s: cannot read the roster token", path);
		}
		*token = t;
	}
	if (*token < 0)
		return lt_err(LETHE_ERR_KEYSTORE, "%s has no officer roster", path);
	return LETHE_OK;
}

static bool hex_member(const struct lt_json *root, const char *key, void *out, size_t len)
{
	const char *hex = lt_json_string(lt_json_get(root, key));

	return hex && lt_hex_valid(hex, len) && lt_unhex(hex, out, len) == LETHE_OK;
}

/* Parse the roster token into @p a and its signature; LETHE_ERR_INTEGRITY when malformed:
 * whoever can write the file can write anything into it. */
static enum lethe_err roster_parse(const struct lt_json *root, const char *path,
				   struct lt_authority *a, uint8_t sig[LT_ED25519_SIG_LEN])
{
	const struct lt_json *officers = lt_json_get(root, "officers");
	const char *store_id = lt_json_string(lt_json_get(root, "store_id"));
	int64_t serial = -1;

	memset(a, 0, sizeof(*a));
	if (!store_id || strlen(store_id) != LETHE_ID_LEN ||
	    !lt_json_int(lt_json_get(root, "serial"), &serial) || serial < 0 ||
	    serial > UINT32_MAX || !lt_json_is_array(officers) ||
	    lt_json_size(officers) > LT_AUTHORITY_OFFICERS ||
	    !hex_member(root, "pub", a->pub, sizeof(a->pub)) ||
	    !hex_member(root, "mk", a->mk_wrapped, sizeof(a->mk_wrapped)) ||
	    !hex_member(root, "sig", sig, LT_ED25519_SIG_LEN))
		return lt_err(LETHE_ERR_INTEGRITY, "%s: the officer roster is malformed", path);
	memcpy(a->store_id, store_id, LETHE_ID_LEN + 1);
	a->serial = (uint32_t) serial;
	for (size_t i = 0; i < lt_json_size(officers); i++) {
		const struct lt_json *o = lt_json_at(officers, i);
		const char *name = lt_json_string(lt_json_get(o, "name"));
		int64_t keyslot = -1;

		if (!name || !lt_officer_name_valid(name) ||
		    !lt_json_int(lt_json_get(o, "keyslot"), &keyslot) || keyslot < 0 ||
		    keyslot >= LT_AUTHORITY_OFFICERS ||
		    (i > 0 && keyslot <= a->officer[i - 1].keyslot))
			return lt_err(LETHE_ERR_INTEGRITY,
				      "%s: officer %zu of the roster is "
				      "malformed",
				      path, i);
		for (size_t j = 0; j < i; j++)
			if (strcmp(a->officer[j].name, name) == 0)
				return lt_err(LETHE_ERR_INTEGRITY,
					      "%s: officer \"%s\" is named "
					      "twice",
					      path, name);
		a->officer[i].keyslot = (int) keyslot;
		a->officer[i].role = LT_SLOT_OFFICER;
		lt_strlcpy(a->officer[i].name, name, sizeof(a->officer[i].name));
		a->count++;
	}
	return LETHE_OK;
}

/* Read, parse and check the roster of an open header. */
static enum lethe_err roster_load(struct crypt_device *cd, const char *path, const char *store_id,
				  struct lt_authority *a, int *token)
{
	uint8_t sig[LT_ED25519_SIG_LEN];
	struct lt_json *root = NULL;
	struct msg m;
	enum lethe_err rc;

	rc = token_find(cd, path, token, &root);
	if (rc == LETHE_OK)
		rc = roster_parse(root, path, a, sig);
	lt_json_free(root);
	if (rc != LETHE_OK)
		return rc;
	if (strcmp(a->store_id, store_id) != 0)
		return lt_err(LETHE_ERR_INTEGRITY, "%s belongs to another store (%s)", path,
			      a->store_id);
	roster_msg(a, &m);
	rc = lt_ed25519_verify(a->pub, m.bytes, m.len, sig);
	/* only a signature that does not verify is tampering; OpenSSL failing is not */
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "%s: the officer roster's signature does not "
			      "verify (names or keyslots changed without the officer authority)",
			      path);
	if (rc != LETHE_OK)
		return rc;
	for (size_t i = 0; i < a->count; i++)
		if (!lt_luks_keyslot_active(cd, a->officer[i].keyslot))
			return lt_err(LETHE_ERR_INTEGRITY,
				      "%s: officer \"%s\"'s keyslot %d is "
				      "gone",
				      path, a->officer[i].name, a->officer[i].keyslot);
	return LETHE_OK;
}

/* Write the roster @p a (token @p token, or a new one when < 0), signed by @p oas's OAK.
 * *@p written (when not NULL) tells whether the header holds it, even if the sync failed. */
static enum lethe_err roster_write(struct crypt_device *cd, const char *path, int token,
				   struct lt_authority *a, const uint8_t *oas, bool *written)
{
	uint8_t sig[LT_ED25519_SIG_LEN];
	char pub_hex[2 * LT_ED25519_PUB_LEN + 1], mk_hex[2 * LT_WRAPPED_LEN + 1];
	char sig_hex[2 * LT_ED25519_SIG_LEN + 1];
	struct lt_json_build b;
	char *json = NULL;
	size_t len;
	enum lethe_err rc;
	int r;

	if (written)
		*written = false;
	rc = roster_sign(a, oas, sig);
	if (rc != LETHE_OK)
		return rc;
	lt_hex(a->pub, sizeof(a->pub), pub_hex);
	lt_hex(a->mk_wrapped, sizeof(a->mk_wrapped), mk_hex);
	lt_hex(sig, sizeof(sig), sig_hex);
	lt_json_begin(&b);
	lt_json_add_string(&b, "type", TOKEN_TYPE);
	lt_json_array_open(&b, "keyslots");
	lt_json_close(&b);
	lt_json_add_string(&b, "store_id", a->store_id);
	lt_json_add_int(&b, "serial", a->serial);
	lt_json_array_open(&b, "officers");
	for (size_t i = 0; i < a->count; i++) {
		lt_json_object_open(&b, NULL);
		lt_json_add_int(&b, "keyslot", a->officer[i].keyslot);
		lt_json_add_string(&b, "name", a->officer[i].name);
		lt_json_close(&b);
	}
	lt_json_close(&b);
	lt_json_add_string(&b, "pub", pub_hex);
	lt_json_add_string(&b, "mk", mk_hex);
	lt_json_add_string(&b, "sig", sig_hex);
	if (lt_json_end(&b, LT_JSON_SORTED, &json, &len) != LETHE_OK)
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", path);
	r = crypt_token_json_set(cd, token < 0 ? CRYPT_ANY_TOKEN : token, json);
	free(json);
	if (r < 0)
		return lt_luks_fail(LETHE_ERR_KEYSTORE, r, path, "cannot write the officer roster");
	if (written)
		*written = true;
	return lt_luks_sync(path);
}

/* Insert officer (@p keyslot, @p name) keeping keyslot order. */
static void roster_insert(struct lt_authority *a, int keyslot, const char *name)
{
	size_t i = a->count;

	while (i > 0 && a->officer[i - 1].keyslot > keyslot) {
		a->officer[i] = a->officer[i - 1];
		i--;
	}
	memset(&a->officer[i], 0, sizeof(a->officer[i]));
	a->officer[i].keyslot = keyslot;
	a->officer[i].role = LT_SLOT_OFFICER;
	lt_strlcpy(a->officer[i].name, name, sizeof(a->officer[i].name));
	a->count++;
}

/* ---- create ----------------------------------------------------------------------------- */

static enum lethe_err check_args(const char *name, const char *passphrase, size_t pass_len,
				 const struct lt_kdf_params *kdf)
{
	if (!name || !lt_officer_name_valid(name))
		return lt_err(LETHE_ERR_INVALID,
			      "bad officer name: 1..%d of A-Z a-z 0-9 . _ -, not \"service\"",
			      LETHE_OFFICER_MAX);
	if (!passphrase || pass_len == 0)
		return lt_err(LETHE_ERR_INVALID, "empty officer passphrase");
	if (!kdf)
		return lt_err(LETHE_ERR_INVALID, "no Argon2id cost given");
	return LETHE_OK;
}

static enum lethe_err create_in(struct crypt_device *cd, const char *path, struct lt_authority *a,
				const uint8_t *mk, const uint8_t *oas, const char *name,
				const char *passphrase, size_t pass_len,
				const struct lt_kdf_params *kdf)
{
	uint8_t *wrap_key = lt_secmem_alloc(LT_KEY_LEN);
	enum lethe_err rc;
	int r;

	if (!wrap_key)
		return lt_err(LETHE_ERR_NOMEM, "out of memory");
	rc = lt_oas_derive(oas, a->store_id, LT_OAS_MK_WRAP, wrap_key);
	if (rc == LETHE_OK)
		rc = lt_mk_wrap(wrap_key, a->store_id, mk, a->mk_wrapped);
	if (rc == LETHE_OK)
		rc = lt_luks_officer_pbkdf(cd, path, kdf);
	if (rc == LETHE_OK) {
		r = crypt_keyslot_add_by_volume_key(cd, 0, (const char *) oas, LT_KEY_LEN,
						    passphrase, pass_len);
		if (r < 0)
			rc =
			    lt_luks_fail(LETHE_ERR_KEYSTORE, r, path, "cannot add officer keyslot");
	}
	if (rc == LETHE_OK) {
		roster_insert(a, 0, name);
		rc = roster_write(cd, path, -1, a, oas, NULL);
	}
	lt_secmem_free(wrap_key, LT_KEY_LEN);
	return rc;
}

enum lethe_err lt_authority_create(const char *path, const char *store_id, const uint8_t *mk,
				   const char *name, const char *passphrase, size_t pass_len,
				   const struct lt_kdf_params *kdf, uint8_t *oas,
				   uint8_t pub[LT_ED25519_PUB_LEN])
{
	struct crypt_device *cd = NULL;
	struct lt_authority a;
	enum lethe_err rc;

	rc = check_args(name, passphrase, pass_len, kdf);
	if (rc != LETHE_OK)
		return rc;
	if (!store_id || strlen(store_id) != LETHE_ID_LEN)
		return lt_err(LETHE_ERR_INVALID, "officer authority: no store id");
	memset(&a, 0, sizeof(a));
	memcpy(a.store_id, store_id, LETHE_ID_LEN + 1);
	a.serial = 1;
	rc = lt_random(oas, LT_KEY_LEN);
	if (rc == LETHE_OK)
		rc = lt_luks_create(path, oas, AUTHORITY_LABEL, &cd);
	if (rc != LETHE_OK)
		goto out;
	rc = create_in(cd, path, &a, mk, oas, name, passphrase, pass_len, kdf);
	crypt_free(cd);
	if (rc == LETHE_OK)
		memcpy(pub, a.pub, LT_ED25519_PUB_LEN);
	else
		(void) unlink(path); /* nothing half-made, least of all a header holding the OAS */
out:
	if (rc != LETHE_OK)
		lt_cleanse(oas, LT_KEY_LEN);
	return rc;
}

/* ---- read and unlock -------------------------------------------------------------------- */

enum lethe_err lt_authority_read(const char *path, const char *store_id, struct lt_authority *a)
{
	struct crypt_device *cd = NULL;
	enum lethe_err rc;
	int token;

	memset(a, 0, sizeof(*a));
	rc = lt_luks_open(path, &cd);
	if (rc == LETHE_OK)
		rc = roster_load(cd, path, store_id, a, &token);
	crypt_free(cd);
	return rc;
}

/* With the OAS open: its OAK must have signed the roster, and MK must unwrap. */
static enum lethe_err authority_check(const char *path, const struct lt_authority *a,
				      const uint8_t *oas, uint8_t *mk)
{
	struct lt_ed25519_key *oak = NULL;
	uint8_t pub[LT_ED25519_PUB_LEN];
	uint8_t *wrap_key = lt_secmem_alloc(LT_KEY_LEN);
	enum lethe_err rc;

	if (!wrap_key)
		return lt_err(LETHE_ERR_NOMEM, "out of memory");
	rc = lt_authority_signer(oas, a->store_id, &oak);
	if (rc == LETHE_OK)
		rc = lt_ed25519_key_pub(oak, pub);
	if (rc == LETHE_OK && !lt_memeq(pub, a->pub, sizeof(pub)))
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: the roster was signed by another authority "
			    "than the one this passphrase opens",
			    path);
	if (rc == LETHE_OK)
		rc = lt_oas_derive(oas, a->store_id, LT_OAS_MK_WRAP, wrap_key);
	if (rc == LETHE_OK)
		rc = lt_mk_unwrap(wrap_key, a->store_id, a->mk_wrapped, mk);
	lt_ed25519_key_free(oak);
	lt_secmem_free(wrap_key, LT_KEY_LEN);
	return rc;
}

enum lethe_err lt_authority_unlock(const char *path, const char *store_id, const char *name,
				   const char *passphrase, size_t pass_len, uint8_t *oas,
				   uint8_t *mk, struct lt_slot_info *who,
				   uint8_t pub[LT_ED25519_PUB_LEN], struct lt_authority *roster)
{
	struct crypt_device *cd = NULL;
	const struct lt_slot_info *opened = NULL;
	struct lt_authority a;
	enum lethe_err rc;
	int token;

	memset(who, 0, sizeof(*who));
	who->keyslot = -1;
	if (!passphrase || pass_len == 0)
		return lt_err(LETHE_ERR_UNLOCK, "empty passphrase");
	rc = lt_luks_open(path, &cd);
	if (rc == LETHE_OK)
		rc = roster_load(cd, path, store_id, &a, &token);
	if (rc != LETHE_OK)
		goto out;
	/*
	 * The roster's keyslots only: each is an Argon2id run, so a named officer costs one
	 * (issue the name when known); a keyslot nobody signed for is never tried.
	 */
	rc = LETHE_ERR_UNLOCK;
	for (size_t i = 0; i < a.count && rc == LETHE_ERR_UNLOCK; i++) {
		if (name && strcmp(name, a.officer[i].name) != 0)
			continue;
		opened = &a.officer[i];
		rc = lt_luks_try_keyslot(cd, path, a.officer[i].keyslot, passphrase, pass_len, oas);
	}
	if (rc == LETHE_ERR_UNLOCK) {
		rc = name && !opened ? lt_err(LETHE_ERR_UNLOCK, "no officer \"%s\"", name)
				     : lt_err(LETHE_ERR_UNLOCK,
					      "wrong passphrase: it opens no "
					      "officer keyslot of %s",
					      path);
		goto out;
	}
	if (rc == LETHE_OK)
		rc = authority_check(path, &a, oas, mk);
	if (rc == LETHE_OK) {
		*who = *opened;
		memcpy(pub, a.pub, LT_ED25519_PUB_LEN);
		if (roster)
			*roster = a;
	}
out:
	if (rc != LETHE_OK) {
		lt_cleanse(oas, LT_KEY_LEN);
		lt_cleanse(mk, LT_MK_LEN);
	}
	crypt_free(cd);
	return rc;
}

/* ---- officers ---------------------------------------------------------------------------- */

/* Lock, open and load the roster, and check @p oas is this file's authority. */
static enum lethe_err change_begin(const char *path, const char *store_id, const uint8_t *oas,
				   int *lock_fd, struct crypt_device **cd, struct lt_authority *a,
				   int *token)
{
	enum lethe_err rc;

	rc = lt_luks_lock(path, lock_fd);
	if (rc == LETHE_OK)
		rc = lt_luks_open(path, cd);
	if (rc == LETHE_OK)
		rc = roster_load(*cd, path, store_id, a, token);
	if (rc == LETHE_OK && crypt_volume_key_verify(*cd, (const char *) oas, LT_KEY_LEN) < 0)
		rc = lt_err(LETHE_ERR_KEYSTORE,
			    "%s: the officer authority does not belong to "
			    "this file",
			    path);
	return rc;
}

static const struct lt_slot_info *roster_find(const struct lt_authority *a, const char *name,
					      size_t *index)
{
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->officer[i].name, name) == 0) {
			*index = i;
			return &a->officer[i];
		}
	return NULL;
}

enum lethe_err lt_authority_officer_add(const char *path, const char *store_id, const uint8_t *oas,
					const char *name, const char *passphrase, size_t pass_len,
					const struct lt_kdf_params *kdf, int *keyslot,
					uint32_t *serial)
{
	struct crypt_device *cd = NULL;
	struct lt_authority a;
	enum lethe_err rc;
	size_t index;
	int lock_fd = -1, token = -1, r;
	bool written = false;

	rc = check_args(name, passphrase, pass_len, kdf);
	if (rc != LETHE_OK)
		return rc;
	rc = change_begin(path, store_id, oas, &lock_fd, &cd, &a, &token);
	if (rc != LETHE_OK)
		goto out;
	if (roster_find(&a, name, &index)) {
		rc = lt_err(LETHE_ERR_EXISTS, "officer \"%s\" already exists", name);
		goto out;
	}
	rc = lt_luks_officer_pbkdf(cd, path, kdf);
	if (rc != LETHE_OK)
		goto out;
	r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, (const char *) oas, LT_KEY_LEN,
					    passphrase, pass_len);
	if (r < 0 || r >= LT_AUTHORITY_OFFICERS) {
		if (r >= 0)
			(void) crypt_keyslot_destroy(cd, r);
		rc = r == -ENOSPC || r >= 0
			 ? lt_err(LETHE_ERR_KEYSTORE, "%s: no free keyslot (at most %d officers)",
				  path, LT_AUTHORITY_OFFICERS)
			 : lt_luks_fail(LETHE_ERR_KEYSTORE, r, path, "cannot add officer keyslot");
		goto out;
	}
	LT_FAULT("officer.before_name"); /* a keyslot the roster does not name: never tried */
	roster_insert(&a, r, name);
	a.serial++;
	rc = roster_write(cd, path, token, &a, oas, &written);
	/* the keyslot goes again unless the roster naming it is in the header already (only its
	 * sync failed): a roster naming a destroyed keyslot would lock every officer out */
	if (rc != LETHE_OK && !written)
		(void) crypt_keyslot_destroy(cd, r);
	if (rc == LETHE_OK && keyslot)
		*keyslot = r;
	if (rc == LETHE_OK && serial)
		*serial = a.serial;
out:
	crypt_free(cd);
	lt_luks_unlock(lock_fd);
	return rc;
}

enum lethe_err lt_authority_officer_remove(const char *path, const char *store_id,
					   const uint8_t *oas, const char *name, int *keyslot_out,
					   uint32_t *serial)
{
	struct crypt_device *cd = NULL;
	struct lt_authority a;
	enum lethe_err rc;
	size_t index = 0;
	int lock_fd = -1, token = -1, keyslot, r;
	bool written = false;

	rc = change_begin(path, store_id, oas, &lock_fd, &cd, &a, &token);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_luks_officer_removable(name, name && roster_find(&a, name, &index), a.count);
	if (rc != LETHE_OK)
		goto out;
	keyslot = a.officer[index].keyslot;
	memmove(&a.officer[index], &a.officer[index + 1],
		(a.count - index - 1) * sizeof(a.officer[0]));
	a.count--;
	a.serial++;
	rc = roster_write(cd, path, token, &a, oas, &written);
	/* once the roster without them is in the header, their keyslot goes, even when the
	 * sync failed: a keyslot no roster names opens nothing lethe honours, but it is one */
	if (!written)
		goto out;
	r = crypt_keyslot_destroy(cd, keyslot);
	if (r < 0 && rc == LETHE_OK)
		rc = lt_luks_fail(LETHE_ERR_KEYSTORE, r, path, "cannot destroy keyslot");
	else if (rc == LETHE_OK)
		rc = lt_luks_sync(path);
	if (rc == LETHE_OK && keyslot_out)
		*keyslot_out = keyslot;
	if (rc == LETHE_OK && serial)
		*serial = a.serial;
out:
	crypt_free(cd);
	lt_luks_unlock(lock_fd);
	return rc;
}

enum lethe_err lt_authority_officer_passwd(const char *path, const char *store_id,
					   const uint8_t *oas, const char *name,
					   const char *passphrase, size_t pass_len,
					   const struct lt_kdf_params *kdf, int *keyslot)
{
	struct crypt_device *cd = NULL;
	struct lt_authority a;
	enum lethe_err rc;
	size_t index = 0;
	int lock_fd = -1, token = -1, old_keyslot, r;
	bool written = false;

	rc = check_args(name, passphrase, pass_len, kdf);
	if (rc != LETHE_OK)
		return rc;
	rc = change_begin(path, store_id, oas, &lock_fd, &cd, &a, &token);
	if (rc != LETHE_OK)
		goto out;
	if (!roster_find(&a, name, &index)) {
		rc = lt_err(LETHE_ERR_NOT_FOUND, "no officer \"%s\"", name);
		goto out;
	}
	old_keyslot = a.officer[index].keyslot;
	rc = lt_luks_officer_pbkdf(cd, path, kdf);
	if (rc != LETHE_OK)
		goto out;
	/* a new keyslot beside the old one, never the old one rewritten: until the roster names
	 * the new keyslot, the old passphrase is the one that works */
	r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, (const char *) oas, LT_KEY_LEN,
					    passphrase, pass_len);
	if (r < 0 || r >= LT_AUTHORITY_OFFICERS) {
		if (r >= 0)
			(void) crypt_keyslot_destroy(cd, r);
		rc = r == -ENOSPC || r >= 0
			 ? lt_err(LETHE_ERR_KEYSTORE,
				  "%s: no free keyslot for the new passphrase (remove an officer "
				  "first)",
				  path)
			 : lt_luks_fail(LETHE_ERR_KEYSTORE, r, path, "cannot add a keyslot");
		goto out;
	}
	LT_FAULT("officer.passwd_before_roster"); /* the new keyslot is not named: never tried */
	memmove(&a.officer[index], &a.officer[index + 1],
		(a.count - index - 1) * sizeof(a.officer[0]));
	a.count--;
	roster_insert(&a, r, name);
	a.serial++;
	rc = roster_write(cd, path, token, &a, oas, &written);
	if (!written) {
		(void) crypt_keyslot_destroy(cd, r);
		goto out;
	}
	if (keyslot)
		*keyslot = r;
	LT_FAULT("officer.passwd_before_destroy"); /* the old keyslot is not named: never tried */
	/* the roster names the new keyslot: the old one opens nothing lethe honours any more,
	 * and goes */
	r = crypt_keyslot_destroy(cd, old_keyslot);
	if (r < 0 && rc == LETHE_OK)
		rc = lt_luks_fail(LETHE_ERR_KEYSTORE, r, path, "cannot destroy the old keyslot");
	else if (rc == LETHE_OK)
		rc = lt_luks_sync(path);
out:
	crypt_free(cd);
	lt_luks_unlock(lock_fd);
	return rc;
}

enum lethe_err lt_authority_unrostered(const char *path, const char *store_id, bool repair,
				       size_t *count)
{
	struct crypt_device *cd = NULL;
	struct lt_authority a;
	enum lethe_err rc;
	int lock_fd = -1, token, max = crypt_keyslot_max(CRYPT_LUKS2);

	*count = 0;
	rc = repair ? lt_luks_lock(path, &lock_fd) : LETHE_OK;
	if (rc == LETHE_OK)
		rc = lt_luks_open(path, &cd);
	if (rc == LETHE_OK)
		rc = roster_load(cd, path, store_id, &a, &token);
	for (int k = 0; rc == LETHE_OK && k < max; k++) {
		bool named = false;

		for (size_t i = 0; i < a.count; i++)
			named |= a.officer[i].keyslot == k;
		if (named || !lt_luks_keyslot_active(cd, k))
			continue;
		if (repair) {
			int r = crypt_keyslot_destroy(cd, k);

			if (r < 0)
				rc = lt_luks_fail(LETHE_ERR_KEYSTORE, r, path,
						  "cannot destroy keyslot");
		}
		if (rc == LETHE_OK)
			(*count)++;
	}
	if (rc == LETHE_OK && repair && *count)
		rc = lt_luks_sync(path);
	crypt_free(cd);
	lt_luks_unlock(lock_fd);
	return rc;
}
