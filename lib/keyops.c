/* keyops.c - KEK versions (rotate, rewrap, retire), officers, and loading keys on demand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/timeutil.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"
#include "keys/kekcache.h"
#include "keys/keystore.h"
#include "keys/wrap.h"
#include "lib/internal.h"
#include "store/db.h"

/* Rows rewrapped per transaction: large enough to amortise the commit's fsync. */
#define REWRAP_BATCH 2000

/* The wrapped form of @p version from the handle's copy of the keystore's KEK token. */
static const struct lt_keystore_kek *kek_cached(struct lethe_store *st, uint32_t version)
{
	size_t i;

	for (i = 0; i < st->nkeks; i++)
		if (st->keks[i].version == version)
			return &st->keks[i];
	return NULL;
}

struct retired_in_use {
	uint32_t versions[LT_KEYSTORE_KEKS_MAX];
	size_t n;
};

/* Drop from the list every version that some row's data key is still wrapped under. */
static int retired_in_use_one(const struct lt_db_object *obj, void *vctx)
{
	struct retired_in_use *r = vctx;

	for (size_t i = 0; i < r->n;) {
		if (r->versions[i] == obj->kek_version)
			r->versions[i] = r->versions[--r->n];
		else
			i++;
	}
	return r->n == 0;
}

/*
 * A retirement whose commit a crash separated from its keystore update leaves the retired
 * version in the keystore: the first process that reads the keystore afterwards removes it,
 * so the horizon closes without waiting for an officer. The keks row alone is not trusted for
 * that (anyone who can write meta.db can mark a version retired): a version goes only when no
 * row of the objects table, read without its indexes, holds a data key under it; one that
 * rows still need stays, and doctor reports the disagreement. Best effort.
 */
static void kek_finish_retirements(struct lethe_store *st)
{
	struct retired_in_use r = {.n = 0};
	struct lt_db_kek row;
	struct lt_err_saved saved;
	size_t i;

	lt_err_save(&saved);
	for (i = 0; i < st->nkeks; i++) {
		if (lt_db_kek_get(st->db, st->keks[i].version, &row) == LETHE_OK &&
		    row.state == LETHE_KEK_RETIRED && !row.primary)
			r.versions[r.n++] = st->keks[i].version;
	}
	if (r.n > 0 && lt_db_object_with_dek(st->db, retired_in_use_one, &r) == LETHE_OK)
		for (i = 0; i < r.n; i++)
			lt_keystore_kek_remove(st->keystore_path, r.versions[i]);
	lt_err_restore(&saved, LETHE_OK);
}

static enum lethe_err kek_find(struct lethe_store *st, uint32_t version,
			       const struct lt_keystore_kek **out)
{
	enum lethe_err rc;

	*out = kek_cached(st, version);
	if (*out)
		return LETHE_OK;
	/* another process may have rotated since we last looked */
	rc = lt_keystore_keks(st->keystore_path, st->keks, LT_KEYSTORE_KEKS_MAX, &st->nkeks);
	if (rc != LETHE_OK)
		return rc;
	kek_finish_retirements(st);
	*out = kek_cached(st, version);
	if (!*out)
		return lt_err(LETHE_ERR_INTEGRITY, "KEK version %u is not in the keystore", version);
	return LETHE_OK;
}

enum lethe_err lt_kek_load(struct lethe_store *st, uint32_t version, uint8_t kek[LT_KEY_LEN])
{
	const struct lt_keystore_kek *wrapped;
	struct lt_db_kek row;
	enum lethe_err rc;

	rc = lt_db_kek_get(st->db, version, &row);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_INTEGRITY, "KEK version %u does not exist", version);
	if (rc != LETHE_OK)
		return rc;
	if (row.state == LETHE_KEK_RETIRED)
		return lt_err(LETHE_ERR_INTEGRITY, "KEK version %u was retired (destroyed)",
			      version);
	rc = kek_find(st, version, &wrapped);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_kek_unwrap(st->keys->kek_wrap, st->store_id, version, wrapped->wrapped, kek);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY, "KEK version %u does not unwrap: the keystore "
				  "entry was modified or belongs to another store", version);
	return rc;
}

enum lethe_err lt_kek_create(struct lethe_store *st, uint32_t version)
{
	uint8_t *kek = lt_secmem_alloc(LT_KEY_LEN);
	uint8_t wrapped[LT_WRAPPED_LEN];
	enum lethe_err rc;

	if (!kek)
		return LETHE_ERR_NOMEM;
	rc = lt_key_generate(kek);
	if (rc == LETHE_OK)
		rc = lt_kek_wrap(st->keys->kek_wrap, st->store_id, version, kek, wrapped);
	if (rc == LETHE_OK)
		rc = lt_keystore_kek_put(st->keystore_path, version, wrapped);
	lt_secmem_free(kek, LT_KEY_LEN);
	return rc;
}

enum lethe_err lt_evidence_key_load(struct lethe_store *st)
{
	uint8_t wrapped[LT_WRAPPED_LEN];
	size_t len = 0;
	enum lethe_err rc;

	if (st->keys->evidence_loaded)
		goto signer;
	rc = lt_db_meta_get(st->db, "evidence_priv_wrapped", wrapped, sizeof(wrapped), &len);
	if (rc == LETHE_OK && len != sizeof(wrapped))
		rc = LETHE_ERR_NOT_FOUND;
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_DATABASE, "the evidence signing key is missing from the "
				  "database");
	if (rc != LETHE_OK)
		return rc;
	rc = lt_evkey_unwrap(st->keys->evidence_wrap, st->store_id, wrapped,
			     st->keys->evidence_seed);
	if (rc == LETHE_ERR_INTEGRITY)
		return lt_err(LETHE_ERR_INTEGRITY, "the evidence signing key does not unwrap");
	if (rc != LETHE_OK)
		return rc;
	st->keys->evidence_loaded = true;
signer:
	if (st->evidence_signer)
		return LETHE_OK;
	return lt_ed25519_key_new(st->keys->evidence_seed, &st->evidence_signer);
}

static enum lethe_err need_officer(struct lethe_store *st, const char *action,
				   const char *what)
{
	enum lethe_err rc;

	if (st->officer)
		return LETHE_OK;
	rc = lt_err(LETHE_ERR_NOT_OFFICER, "%s needs an officer passphrase", what);
	lt_audit_record(st, &(struct lt_audit_event){ .action = action, .err = rc,
						       .error = lt_err_detail() });
	return rc;
}

/* Audit a failure of an officer operation, keeping the detail for the caller. */
static void audit_failure(struct lethe_store *st, const char *action, enum lethe_err rc)
{
	struct lt_err_saved saved;

	lt_audit_record(st, &(struct lt_audit_event){ .action = action, .err = rc,
						       .error = lt_err_save(&saved) });
}

/* ---------------------------------------------------------------------------------------- */

struct key_list_ctx {
	struct lethe_store *st;
	lethe_key_fn fn;
	void *ctx;
};

static int key_list_one(const struct lt_db_kek *kek, void *vctx)
{
	struct key_list_ctx *k = vctx;
	struct lethe_key_info info;

	memset(&info, 0, sizeof(info));
	info.version = kek->version;
	info.primary = kek->primary;
	info.state = kek->state == LETHE_KEK_RETIRED ? LETHE_KEK_RETIRED : LETHE_KEK_ACTIVE;
	info.created_at = kek->created_at;
	info.retired_at = kek->retired_at;
	info.objects = kek->objects;
	return k->fn(&info, k->ctx);
}

LETHE_API enum lethe_err lethe_key_list(struct lethe_store *st, lethe_key_fn fn, void *ctx)
{
	struct key_list_ctx k = { st, fn, ctx };

	lt_err_clear();
	if (!st || !fn)
		return lt_err(LETHE_ERR_INVALID, "key list needs a store and a callback");
	return lt_db_kek_list(st->db, key_list_one, &k);
}

LETHE_API enum lethe_err lethe_key_primary_age(struct lethe_store *st, int64_t *age)
{
	struct lt_db_kek row;
	enum lethe_err rc;

	lt_err_clear();
	if (age)
		*age = 0;
	if (!st || !age)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = lt_db_kek_primary(st->db, &row);
	if (rc == LETHE_OK)
		*age = lt_now() - row.created_at;
	return rc;
}

/*
 * The new version goes into the keystore first, then its row commits: a crash in between
 * leaves an unused keystore entry that the next rotation (same version number) replaces.
 */
LETHE_API enum lethe_err lethe_key_rotate(struct lethe_store *st, uint32_t *new_version)
{
	struct lt_db_kek row;
	char detail[64];
	enum lethe_err rc;

	lt_err_clear();
	if (new_version)
		*new_version = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = need_officer(st, "key.rotate", "key rotation");
	if (rc != LETHE_OK)
		return rc;
	memset(&row, 0, sizeof(row));
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_db_kek_max_version(st->db, &row.version);
	if (rc != LETHE_OK)
		goto rollback;
	row.version++;
	row.primary = true;
	row.state = LETHE_KEK_ACTIVE;
	row.created_at = lt_now();
	rc = lt_kek_create(st, row.version);
	if (rc == LETHE_OK) {
		LT_FAULT("rotate.after_keystore");
		rc = lt_db_kek_insert(st->db, &row);
	}
	if (rc == LETHE_OK) {
		snprintf(detail, sizeof(detail), "new primary KEK version %u", row.version);
		rc = lt_audit_append(st, &(struct lt_audit_event){ .action = "key.rotate",
								    .error = detail });
	}
	if (rc == LETHE_OK) {
		LT_FAULT("rotate.before_commit");
		rc = lt_tx_commit(st);
		if (rc == LETHE_OK && new_version)
			*new_version = row.version;
		goto out;
	}
rollback:
	lt_tx_rollback(st);
out:
	if (rc != LETHE_OK)
		audit_failure(st, "key.rotate", rc);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* rewrap                                                                                   */

/* The loader of a KEK cache: unwrap a version from the keystore. */
static enum lethe_err kek_cache_load(void *st, uint32_t version, uint8_t *kek)
{
	return lt_kek_load(st, version, kek);
}

/*
 * Every wrap a rewrap commits has been proven first (lt_dek_rewrap): unwrapped again under the
 * primary KEK as loaded from the keystore for the batch, outside the cache that supplied the
 * wrapping key, with the AAD the row records. A failed proof rolls the whole batch back.
 */
struct rewrap_ctx {
	struct lethe_store *st;
	struct lt_kek_cache *cache;
	const uint8_t *primary_key; /* pinned in the cache while set */
	uint32_t primary;           /* the version of primary_key; 0 before the first batch */
	uint8_t *check_key;         /* the primary again, loaded afresh for each batch */
	uint8_t *scratch;           /* LT_DEK_REWRAP_SCRATCH: the data key and its proof */
	uint64_t done;
	enum lethe_err rc;
};

static int rewrap_one(const struct lt_db_object *obj, void *vctx)
{
	struct rewrap_ctx *r = vctx;
	uint8_t wrapped[LT_WRAPPED_LEN];
	const uint8_t *old;

	r->rc = lt_kek_cache_get(r->cache, obj->kek_version, &old);
	if (r->rc == LETHE_ERR_INTEGRITY)
		lt_err_prefix("object %s", obj->id);
	if (r->rc != LETHE_OK)
		return 1;
	r->rc = lt_dek_rewrap(r->st->store_id, obj->id, obj->group, old, obj->kek_version,
			      obj->wrapped_dek, r->primary_key, r->check_key, r->primary, wrapped,
			      r->scratch);
	lt_kek_cache_release(r->cache, obj->kek_version);
	if (r->rc == LETHE_OK)
		r->rc = lt_db_object_set_dek(r->st->db, obj->id, r->primary, wrapped);
	if (r->rc != LETHE_OK)
		return 1;
	r->done++;
	return 0;
}

/* Hold the primary KEK @p version for wrapping (releasing the one held before). */
static enum lethe_err rewrap_hold_primary(struct rewrap_ctx *r, uint32_t version)
{
	enum lethe_err rc;

	if (r->primary_key && r->primary == version)
		return LETHE_OK;
	if (r->primary_key)
		lt_kek_cache_release(r->cache, r->primary);
	r->primary_key = NULL;
	r->primary = 0;
	rc = lt_kek_cache_get(r->cache, version, &r->primary_key);
	if (rc == LETHE_OK)
		r->primary = version;
	return rc;
}

/* One batch in one transaction; *n receives how many it rewrapped (0: finished). */
static enum lethe_err rewrap_batch(struct rewrap_ctx *r, uint64_t *n)
{
	struct lt_db_kek primary;
	char detail[96];
	uint64_t before = r->done;
	enum lethe_err rc;

	*n = 0;
	rc = lt_tx_begin(r->st);
	if (rc != LETHE_OK)
		return rc;
	/* a rotation by another officer since the last batch moves the target */
	rc = lt_db_kek_primary(r->st->db, &primary);
	if (rc == LETHE_OK)
		rc = rewrap_hold_primary(r, primary.version);
	if (rc == LETHE_OK)
		rc = lt_kek_load(r->st, r->primary, r->check_key);
	if (rc == LETHE_OK) {
		r->rc = LETHE_OK;
		rc = lt_db_object_not_under(r->st->db, r->primary, REWRAP_BATCH, rewrap_one, r);
		if (rc == LETHE_OK)
			rc = r->rc;
	}
	if (rc == LETHE_OK && r->done > before) {
		snprintf(detail, sizeof(detail), "rewrapped %llu data keys under KEK version %u",
			 (unsigned long long)(r->done - before), r->primary);
		rc = lt_audit_append(r->st, &(struct lt_audit_event){ .action = "key.rewrap",
								       .error = detail });
	}
	if (rc == LETHE_OK) {
		LT_FAULT("rewrap.before_commit");
		rc = lt_tx_commit(r->st);
	} else {
		lt_tx_rollback(r->st);
		r->done = before;
	}
	if (rc == LETHE_OK) {
		LT_FAULT("rewrap.after_commit");
		*n = r->done - before;
	}
	return rc;
}

LETHE_API enum lethe_err lethe_key_rewrap(struct lethe_store *st, uint64_t *rewrapped)
{
	struct lt_kek_cache cache;
	struct rewrap_ctx r;
	uint64_t n = 0, total = 0;
	enum lethe_err rc;

	lt_err_clear();
	if (rewrapped)
		*rewrapped = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = need_officer(st, "key.rewrap", "rewrapping data keys");
	if (rc != LETHE_OK)
		return rc;
	lt_kek_cache_init(&cache, kek_cache_load, st);
	memset(&r, 0, sizeof(r));
	r.st = st;
	r.cache = &cache;
	r.check_key = lt_secmem_alloc(LT_KEY_LEN);
	r.scratch = lt_secmem_alloc(LT_DEK_REWRAP_SCRATCH);
	if (!r.check_key || !r.scratch) {
		rc = lt_err(LETHE_ERR_NOMEM, "rewrap: out of memory");
		goto out;
	}
	{
		uint32_t v;
		uint64_t c;

		/* the count to show progress against: objects not under the primary */
		struct lt_db_kek p;

		if (lt_db_kek_primary(st->db, &p) == LETHE_OK) {
			for (v = 1; v < p.version; v++)
				if (lt_db_kek_count_objects(st->db, v, &c) == LETHE_OK)
					total += c;
		}
	}
	do {
		rc = rewrap_batch(&r, &n);
		lt_progress(st, "rewrap", r.done, total);
	} while (rc == LETHE_OK && n > 0);
out:
	if (rc != LETHE_OK)
		audit_failure(st, "key.rewrap", rc);
	if (rewrapped)
		*rewrapped = r.done;
	lt_kek_cache_free(&cache);
	lt_secmem_free(r.scratch, LT_DEK_REWRAP_SCRATCH);
	lt_secmem_free(r.check_key, LT_KEY_LEN);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* retire                                                                                   */

/*
 * Before a KEK is destroyed, every data key that must survive is shown to unwrap under the KEK
 * version its row records: the in-use count trusts kek_version, and a row whose version was
 * changed (or whose wrap was damaged) would lose its object for good with the KEK.
 */
struct retire_check {
	struct lethe_store *st;
	struct lt_kek_cache *cache;
	uint32_t version;          /* the KEK to retire */
	uint8_t *dek;
	enum lethe_err rc;
};

static int retire_check_one(const struct lt_db_object *obj, void *vctx)
{
	struct retire_check *c = vctx;
	const uint8_t *kek;

	/* the counts said no data key is under this version and every row that holds a key is
	 * live: a row that says otherwise was edited outside lethe, and destroying the KEK would
	 * make it unreadable for good */
	if (obj->kek_version == c->version || obj->state != LETHE_STATE_LIVE) {
		c->rc = lt_err(LETHE_ERR_INTEGRITY, "nothing retired: object %s holds a data key "
			       "under KEK version %u in a row marked %s (the database was "
			       "modified)", obj->id, obj->kek_version,
			       obj->state == LETHE_STATE_LIVE ? "live" : "shredded");
		return 1;
	}
	c->rc = lt_kek_cache_get(c->cache, obj->kek_version, &kek);
	if (c->rc == LETHE_ERR_INTEGRITY)
		lt_err_prefix("object %s", obj->id);
	if (c->rc == LETHE_OK) {
		c->rc = lt_dek_unwrap(kek, c->st->store_id, obj->id, obj->group, obj->kek_version,
				      obj->wrapped_dek, c->dek);
		lt_kek_cache_release(c->cache, obj->kek_version);
		lt_cleanse(c->dek, LT_KEY_LEN);
	}
	if (c->rc == LETHE_ERR_INTEGRITY)
		lt_err_prefix("nothing retired");
	return c->rc != LETHE_OK;
}

static enum lethe_err retire_check_all(struct lethe_store *st, uint32_t version)
{
	struct lt_kek_cache cache;
	struct retire_check c = {.st = st, .cache = &cache, .version = version};
	enum lethe_err rc;

	lt_kek_cache_init(&cache, kek_cache_load, st);
	c.dek = lt_secmem_alloc(LT_KEY_LEN);
	if (!c.dek)
		return lt_err(LETHE_ERR_NOMEM, "retire: out of memory");
	rc = lt_db_object_with_dek(st->db, retire_check_one, &c);
	if (rc == LETHE_OK)
		rc = c.rc;
	lt_kek_cache_free(&cache);
	lt_secmem_free(c.dek, LT_KEY_LEN);
	return rc;
}

static enum lethe_err retire_in_tx(struct lethe_store *st, uint32_t version)
{
	struct lt_db_kek row;
	uint64_t in_use = 0;
	enum lethe_err rc;

	rc = lt_db_kek_get(st->db, version, &row);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_NOT_FOUND, "no KEK version %u", version);
	if (rc != LETHE_OK)
		return rc;
	if (row.state == LETHE_KEK_RETIRED) {
		/* finish a retirement a crash interrupted after its commit, once the rows show
		 * that nothing needs it (the state column alone could be anyone's edit) */
		rc = retire_check_all(st, version);
		if (rc == LETHE_OK)
			rc = lt_keystore_kek_remove(st->keystore_path, version);
		if (rc != LETHE_OK)
			return rc;
		return lt_err(LETHE_ERR_NOT_FOUND, "KEK version %u is already retired", version);
	}
	if (row.primary)
		return lt_err(LETHE_ERR_KEK_IN_USE, "KEK version %u is the primary: rotate first",
			      version);
	rc = lt_db_kek_count_objects(st->db, version, &in_use);
	if (rc != LETHE_OK)
		return rc;
	if (in_use)
		return lt_err(LETHE_ERR_KEK_IN_USE, "KEK version %u still wraps %llu data "
			      "key(s): run `lethe key rewrap` first", version,
			      (unsigned long long)in_use);
	/* inside the transaction: no put or rewrap can change a row between proof and retire */
	rc = retire_check_all(st, version);
	if (rc != LETHE_OK)
		return rc;
	return lt_db_kek_retire(st->db, version, lt_now());
}

LETHE_API enum lethe_err lethe_key_retire(struct lethe_store *st, uint32_t version)
{
	char detail[64];
	enum lethe_err rc;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = need_officer(st, "key.retire", "retiring a KEK");
	if (rc != LETHE_OK)
		return rc;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	rc = retire_in_tx(st, version);
	if (rc == LETHE_OK) {
		snprintf(detail, sizeof(detail), "KEK version %u destroyed", version);
		rc = lt_audit_append(st, &(struct lt_audit_event){ .action = "key.retire",
								    .error = detail });
	}
	if (rc == LETHE_OK) {
		LT_FAULT("retire.before_commit");
		rc = lt_tx_commit(st);
	} else {
		lt_tx_rollback(st);
	}
	if (rc == LETHE_OK) {
		LT_FAULT("retire.after_commit");
		/* the only copy of the key outside backups of keystore.luks goes now */
		rc = lt_keystore_kek_remove(st->keystore_path, version);
		st->nkeks = 0;
	}
	if (rc == LETHE_OK) {
		LT_FAULT("retire.after_keystore");
		/* old versions of rows still hold DEKs rewrapped away from the retired version */
		rc = lt_db_purge(st->db);
		if (rc == LETHE_ERR_BUSY)
			rc = LETHE_OK; /* a later purge (sweep, retire) finishes it */
	} else {
		audit_failure(st, "key.retire", rc);
	}
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* officers                                                                                 */

LETHE_API enum lethe_err lethe_officer_list(struct lethe_store *st, lethe_officer_fn fn,
					    void *ctx)
{
	struct lt_slot_info slots[32];
	struct lethe_officer_info info;
	size_t n = 0, i;
	enum lethe_err rc;

	lt_err_clear();
	if (!st || !fn)
		return lt_err(LETHE_ERR_INVALID, "officer list needs a store and a callback");
	rc = lt_keystore_slots(st->keystore_path, slots, 32, &n);
	for (i = 0; rc == LETHE_OK && i < n; i++) {
		memset(&info, 0, sizeof(info));
		lt_strlcpy(info.name, slots[i].name, sizeof(info.name));
		info.keyslot = slots[i].keyslot;
		info.officer = slots[i].role == LT_SLOT_OFFICER;
		if (fn(&info, ctx))
			break;
	}
	return rc;
}

static struct lt_kdf_params officer_kdf(struct lethe_store *st)
{
	struct lt_kdf_params kdf = { st->cfg.officer_kdf_memory_kib, st->cfg.officer_kdf_time,
				     st->cfg.officer_kdf_parallel };
	return kdf;
}

LETHE_API enum lethe_err lethe_officer_add(struct lethe_store *st, const char *name,
					   const char *passphrase, size_t passphrase_len)
{
	struct lt_kdf_params kdf;
	enum lethe_err rc;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = need_officer(st, "officer.add", "adding an officer");
	if (rc != LETHE_OK)
		return rc;
	if (!name || !lt_officer_name_valid(name))
		return lt_err(LETHE_ERR_INVALID, "officer name must be 1-%d characters of "
				  "A-Z a-z 0-9 . _ - (and not \"service\")", LETHE_OFFICER_MAX);
	if (!passphrase || passphrase_len == 0)
		return lt_err(LETHE_ERR_INVALID, "the new officer's passphrase is empty");
	kdf = officer_kdf(st);
	rc = lt_keystore_officer_add(st->keystore_path, st->keys->mk, name, passphrase,
				     passphrase_len, &kdf);
	if (rc == LETHE_OK)
		LT_FAULT("officer.after_add"); /* the keyslot exists, its audit record not yet */
	{
		struct lt_err_saved saved;

		lt_audit_record(st, &(struct lt_audit_event){ .action = "officer.add", .err = rc,
							       .error = rc ? lt_err_save(&saved)
									   : name });
	}
	return rc;
}

LETHE_API enum lethe_err lethe_officer_remove(struct lethe_store *st, const char *name)
{
	enum lethe_err rc;

	lt_err_clear();
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	rc = need_officer(st, "officer.remove", "removing an officer");
	if (rc != LETHE_OK)
		return rc;
	if (!name || !lt_officer_name_valid(name))
		return lt_err(LETHE_ERR_INVALID, "not a valid officer name");
	rc = lt_keystore_officer_remove(st->keystore_path, name);
	if (rc == LETHE_OK)
		LT_FAULT("officer.after_remove");
	{
		struct lt_err_saved saved;

		lt_audit_record(st, &(struct lt_audit_event){ .action = "officer.remove",
							       .err = rc,
							       .error = rc ? lt_err_save(&saved)
									   : name });
	}
	return rc;
}
