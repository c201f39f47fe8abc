/* api.c - creating, opening and closing a store: the key hierarchy is unlocked here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/config.h"
#include "common/err.h"
#include "common/fault.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"
#include "keys/evkey.h"
#include "keys/keyfile.h"
#include "keys/keystore.h"
#include "keys/rowauth.h"
#include "keys/wrap.h"
#include "lib/internal.h"
#include "retention/group.h"
#include "store/db.h"

LETHE_API const char *lethe_version(void)
{
	return LETHE_VERSION_STRING;
}

void lt_progress(struct lethe_store *st, const char *what, uint64_t done, uint64_t total)
{
	if (st->progress)
		st->progress(what, done, total, st->progress_ctx);
}

LETHE_API void lethe_store_set_progress(struct lethe_store *store, lethe_progress_fn fn,
					void *ctx)
{
	if (!store)
		return;
	store->progress = fn;
	store->progress_ctx = ctx;
}

LETHE_API int lethe_store_is_officer(const struct lethe_store *store)
{
	return store && store->officer;
}

LETHE_API const char *lethe_store_actor(const struct lethe_store *store)
{
	return store ? store->who.name : "";
}

static char *path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *out = malloc(len);

	if (out)
		snprintf(out, len, "%s/%s", dir, name);
	return out;
}

/* ---------------------------------------------------------------------------------------- */
/* init                                                                                     */

/* DIR must not exist, or be an empty directory. *created tells whether we made it. */
static enum lethe_err init_prepare_dir(const char *dir, bool *created)
{
	DIR *d;
	struct dirent *e;
	bool empty = true;

	*created = false;
	if (mkdir(dir, 0700) == 0) {
		*created = true;
		return LETHE_OK;
	}
	if (errno != EEXIST)
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s: cannot create", dir);
	d = opendir(dir);
	if (!d)
		return lt_err_errno(LETHE_ERR_IO, errno, "%s: cannot open", dir);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	if (!empty)
		return lt_err(LETHE_ERR_EXISTS, "%s: directory is not empty; a store is created "
				  "in a new or empty directory", dir);
	if (chmod(dir, 0700) != 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "%s: chmod", dir);
	return LETHE_OK;
}

/* An absolute path for @p path, whose parent must exist. */
static enum lethe_err absolute_path(const char *path, char **out)
{
	char parent[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base;
	size_t len;

	*out = NULL;
	if (slash) {
		len = (size_t)(slash - path);
		if (len == 0)
			len = 1; /* "/file" */
		if (len >= sizeof(parent))
			return lt_err(LETHE_ERR_INVALID, "%s: path too long", path);
		memcpy(parent, path, len);
		parent[len] = '\0';
		base = slash + 1;
	} else {
		lt_strlcpy(parent, ".", sizeof(parent));
		base = path;
	}
	if (!*base)
		return lt_err(LETHE_ERR_INVALID, "%s: not a file name", path);
	if (!realpath(parent, real))
		return lt_err_errno(LETHE_ERR_INVALID, errno, "%s", parent);
	len = strlen(real) + 1 + strlen(base) + 1;
	*out = malloc(len);
	if (!*out)
		return LETHE_ERR_NOMEM;
	snprintf(*out, len, "%s/%s", strcmp(real, "/") ? real : "", base);
	return LETHE_OK;
}

/* The first KEK (keystore entry, then row) and the evidence key, in the init transaction. */
static enum lethe_err init_keys_in_db(struct lethe_store *st)
{
	uint32_t version;
	enum lethe_err rc;

	/* version 1: the first rotation of an empty store */
	rc = lt_kek_ring_rotate(&st->keks, st->db, lt_now(), &version);
	if (rc == LETHE_OK)
		rc = lt_evkey_create(st->db, st->store_id, st->keys->evidence_wrap,
				     st->keys->evidence_seed);
	if (rc != LETHE_OK)
		return rc;
	st->keys->evidence_loaded = true;
	return lt_db_meta_set(st->db, "store_id", st->store_id, strlen(st->store_id));
}

static enum lethe_err derive_handle_keys(struct lethe_store *st, const uint8_t *mk)
{
	uint8_t *row_mac = lt_secmem_alloc(LT_KEY_LEN);
	enum lethe_err rc;

	if (!row_mac)
		return LETHE_ERR_NOMEM;
	rc = lt_mk_derive(mk, st->store_id, LT_MK_KEK_WRAP, st->keys->kek_wrap);
	if (rc == LETHE_OK)
		rc = lt_mk_derive(mk, st->store_id, LT_MK_AUDIT_MAC, st->keys->audit_mac);
	if (rc == LETHE_OK)
		rc = lt_mk_derive(mk, st->store_id, LT_MK_EVIDENCE_WRAP, st->keys->evidence_wrap);
	if (rc == LETHE_OK)
		rc = lt_mk_derive(mk, st->store_id, LT_MK_ROW_MAC, row_mac);
	if (rc == LETHE_OK)
		rc = lt_row_auth_new(row_mac, &st->row_auth);
	lt_secmem_free(row_mac, LT_KEY_LEN);
	return rc;
}

enum lethe_err lt_rows_precheck(struct lethe_store *st)
{
	return lt_db_rowmac_precheck(st->db);
}

/* Was this store sealed before? Its audit log says so (the chain's MAC keeps that honest):
 * then a store without digests had them removed, and sealing it again would bless the edit. */
#define SEALED_AT_INIT "row MACs sealed"

static int seal_seen(const struct lt_db_audit *rec, void *ctx)
{
	bool *seen = ctx;

	if (strcmp(rec->action, "store.seal") == 0 ||
	    (strcmp(rec->action, "init") == 0 && strcmp(rec->error, SEALED_AT_INIT) == 0)) {
		*seen = true;
		return 1;
	}
	return 0;
}

/*
 * A store written by a version before row MACs has no digests: its rows are MAC'd as they
 * stand at its first keyed open, once (trust on first use: docs/THREATS.md), and the audit
 * log says when. A store that was sealed and lost its digests is not sealed again: its rows
 * then fail their checks, and doctor says why.
 */
static enum lethe_err open_seal(struct lethe_store *st)
{
	bool sealed = false, seen = false;
	enum lethe_err rc;

	rc = lt_db_rowmac_sealed(st->db, &sealed);
	if (rc != LETHE_OK || sealed)
		return rc;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	/* again under the write lock: another process may have sealed meanwhile */
	rc = lt_db_rowmac_sealed(st->db, &sealed);
	if (rc == LETHE_OK && !sealed)
		rc = lt_db_audit_list(st->db, 1, 0, seal_seen, &seen);
	if (rc == LETHE_OK && !sealed && seen)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: the row digests were removed from a store whose rows were sealed "
			    "(see doctor)", st->db_path);
	if (rc == LETHE_OK && !sealed)
		rc = lt_db_rowmac_seal(st->db);
	if (rc == LETHE_OK && !sealed)
		rc = lt_audit_append(st, &(struct lt_audit_event){
					     .action = "store.seal",
					     .error = "rows of a store from before row MACs sealed "
						      "as they stood"});
	if (rc == LETHE_OK)
		return lt_tx_commit(st);
	lt_tx_rollback(st);
	return rc;
}

static struct lethe_store *store_alloc(const char *dir)
{
	struct lethe_store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	lt_config_defaults(&st->cfg);
	st->dir = strdup(dir);
	st->keystore_path = path_join(dir, "keystore.luks");
	st->db_path = path_join(dir, "meta.db");
	st->keys = lt_secmem_alloc(sizeof(*st->keys));
	if (!st->dir || !st->keystore_path || !st->db_path || !st->keys ||
	    lt_objstore_open(dir, &st->objs) != LETHE_OK) {
		lethe_store_close(st);
		return NULL;
	}
	lt_kek_ring_init(&st->keks, st->keystore_path, st->store_id, st->keys->kek_wrap);
	lt_audit_actor_self(&st->actor);
	return st;
}

static enum lethe_err init_files(struct lethe_store *st, const struct lethe_init_opts *o)
{
	uint8_t *service_key = lt_secmem_alloc(LT_SERVICE_KEY_LEN);
	struct lt_kdf_params kdf;
	char *conf_path = path_join(o->dir, "lethe.conf");
	enum lethe_err rc = LETHE_ERR_NOMEM;
	struct lt_audit_event ev = { .action = "init", .error = SEALED_AT_INIT };

	if (!service_key || !conf_path)
		goto out;
	rc = lt_keyfile_read(st->cfg.keyfile, service_key);
	if (rc == LETHE_ERR_NOT_FOUND)
		rc = lt_keyfile_create(st->cfg.keyfile, service_key);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_config_write(conf_path, &st->cfg);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_objstore_prepare(st->objs);
	if (rc != LETHE_OK)
		goto out;
	kdf.memory_kib = st->cfg.officer_kdf_memory_kib;
	kdf.time_cost = st->cfg.officer_kdf_time;
	kdf.parallel = st->cfg.officer_kdf_parallel;
	rc = lt_keystore_create(st->keystore_path, service_key, o->officer, o->passphrase,
				o->passphrase_len, &kdf, st->keys->mk, st->store_id);
	if (rc != LETHE_OK)
		goto out;
	rc = derive_handle_keys(st, st->keys->mk);
	if (rc != LETHE_OK)
		goto out;
	lt_strlcpy(st->who.name, o->officer, sizeof(st->who.name));
	lt_strlcpy(st->actor.keyslot, o->officer, sizeof(st->actor.keyslot));
	st->who.role = LT_SLOT_OFFICER;
	st->officer = true;
	rc = lt_db_open(st->db_path, true, &st->db);
	if (rc != LETHE_OK)
		goto out;
	lt_row_auth_attach(st->row_auth, st->db);
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		goto out;
	/* every table starts with its (empty) digest */
	rc = lt_db_rowmac_seal(st->db);
	if (rc == LETHE_OK)
		rc = init_keys_in_db(st);
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &ev);
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
	if (rc == LETHE_OK)
		rc = lt_fsync_dir(o->dir);
out:
	lt_secmem_free(service_key, LT_SERVICE_KEY_LEN);
	free(conf_path);
	return rc;
}

/* Undo a failed init: remove what it created inside DIR (never anything else). */
static void init_undo(const char *dir, bool created_dir)
{
	static const char *const files[] = { "lethe.conf", "keystore.luks", "meta.db",
					     "meta.db-wal", "meta.db-shm", "meta.db-journal" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/objects", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/tmp", dir);
	rmdir(path);
	if (created_dir)
		rmdir(dir);
}

LETHE_API enum lethe_err lethe_store_init(const struct lethe_init_opts *o)
{
	struct lethe_store *st = NULL;
	bool created = false, prepared = false;
	enum lethe_err rc;

	lt_err_clear();
	if (!o || !o->dir || !*o->dir || !o->keyfile || !*o->keyfile || !o->officer)
		return lt_err(LETHE_ERR_INVALID, "init needs a store directory, a keyfile path and "
				  "an officer");
	if (!lt_officer_name_valid(o->officer))
		return lt_err(LETHE_ERR_INVALID, "officer name must be 1-%d characters of "
				  "A-Z a-z 0-9 . _ - (and not \"service\")", LETHE_OFFICER_MAX);
	if (!o->passphrase || o->passphrase_len == 0)
		return lt_err(LETHE_ERR_INVALID, "the officer passphrase is empty");
	st = store_alloc(o->dir);
	if (!st)
		return LETHE_ERR_NOMEM;
	if (o->config_template) {
		rc = lt_config_load(o->config_template, &st->cfg);
		if (rc == LETHE_OK)
			rc = lt_group_sections_check(&st->cfg, o->config_template);
		if (rc != LETHE_OK)
			goto out;
	}
	free(st->cfg.keyfile);
	st->cfg.keyfile = NULL;
	rc = absolute_path(o->keyfile, &st->cfg.keyfile);
	if (rc != LETHE_OK)
		goto out;
	rc = init_prepare_dir(o->dir, &created);
	if (rc != LETHE_OK)
		goto out;
	prepared = true;
	{
		char *real_dir = realpath(o->dir, NULL);
		size_t dl = real_dir ? strlen(real_dir) : 0;

		if (real_dir && strncmp(st->cfg.keyfile, real_dir, dl) == 0 &&
		    st->cfg.keyfile[dl] == '/') {
			free(real_dir);
			rc = lt_err(LETHE_ERR_INVALID, "%s: the keyfile must live outside the "
					"store directory", st->cfg.keyfile);
			goto out;
		}
		free(real_dir);
	}
	rc = init_files(st, o);
out:
	if (rc != LETHE_OK && prepared) {
		if (st->db) {
			lt_db_close(st->db);
			st->db = NULL;
		}
		init_undo(o->dir, created);
	}
	lethe_store_close(st);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* open / close                                                                             */

static enum lethe_err open_unlock(struct lethe_store *st, const struct lethe_open_opts *o)
{
	uint8_t *secret = lt_secmem_alloc(LT_SERVICE_KEY_LEN);
	uint8_t *mk = lt_secmem_alloc(LT_MK_LEN);
	char store_id[LETHE_ID_LEN + 1] = "";
	enum lethe_err rc = LETHE_ERR_NOMEM;

	if (!secret || !mk)
		goto out;
	if (o->passphrase) {
		rc = lt_keystore_unlock_passphrase(st->keystore_path, o->passphrase,
						   o->passphrase_len, mk, &st->who, store_id);
	} else {
		if (!st->cfg.keyfile) {
			rc = lt_err(LETHE_ERR_CONFIG, "%s/lethe.conf: [keys] keyfile is not set",
				    st->dir);
			goto out;
		}
		rc = lt_keyfile_read(st->cfg.keyfile, secret);
		if (rc == LETHE_ERR_NOT_FOUND)
			rc = lt_err(LETHE_ERR_UNLOCK, "%s: keyfile not found", st->cfg.keyfile);
		if (rc == LETHE_OK)
			rc = lt_keystore_unlock_service(st->keystore_path, secret, mk, &st->who,
							store_id);
	}
	if (rc != LETHE_OK)
		goto out;
	lt_strlcpy(st->store_id, store_id, sizeof(st->store_id));
	lt_strlcpy(st->actor.keyslot, st->who.name, sizeof(st->actor.keyslot));
	st->officer = st->who.role == LT_SLOT_OFFICER;
	rc = derive_handle_keys(st, mk);
	if (rc == LETHE_OK)
		lt_row_auth_attach(st->row_auth, st->db);
	if (rc == LETHE_OK && st->officer)
		memcpy(st->keys->mk, mk, LT_MK_LEN);
out:
	lt_secmem_free(secret, LT_SERVICE_KEY_LEN);
	lt_secmem_free(mk, LT_MK_LEN);
	return rc;
}

/* The keystore and the database must belong to the same store. */
static enum lethe_err open_check_store_id(struct lethe_store *st)
{
	char id[LETHE_ID_LEN + 1];
	size_t len = 0;
	enum lethe_err rc;

	rc = lt_db_meta_get(st->db, "store_id", id, LETHE_ID_LEN, &len);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_DATABASE, "%s: no store id: not a lethe database",
			      st->db_path);
	if (rc != LETHE_OK)
		return rc;
	id[len < LETHE_ID_LEN ? len : LETHE_ID_LEN] = '\0';
	if (strcmp(id, st->store_id) != 0)
		return lt_err(LETHE_ERR_KEYSTORE, "%s belongs to another store than %s",
			      st->keystore_path, st->db_path);
	return LETHE_OK;
}

LETHE_API enum lethe_err lethe_store_open(const struct lethe_open_opts *o,
					  struct lethe_store **out)
{
	struct lethe_store *st = NULL;
	char *conf = NULL;
	enum lethe_err rc;

	lt_err_clear();
	if (out)
		*out = NULL;
	if (!o || !o->dir || !*o->dir || !out)
		return lt_err(LETHE_ERR_INVALID, "no store directory given (--store or "
				  "LETHE_STORE)");
	st = store_alloc(o->dir);
	if (!st)
		return LETHE_ERR_NOMEM;
	conf = o->config ? strdup(o->config) : path_join(o->dir, "lethe.conf");
	if (!conf) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	if (access(o->dir, F_OK) != 0) {
		rc = lt_err_errno(LETHE_ERR_CONFIG, errno, "%s: no store", o->dir);
		goto out;
	}
	rc = lt_config_load(conf, &st->cfg);
	if (rc == LETHE_OK)
		rc = lt_group_sections_check(&st->cfg, conf);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_check_private_file(st->keystore_path);
	if (rc == LETHE_ERR_NOT_FOUND)
		rc = lt_err(LETHE_ERR_KEYSTORE, "%s: keystore missing", st->keystore_path);
	if (rc != LETHE_OK) {
		struct lt_err_saved saved;

		/* audit what we can: the database may still be ours to write; the user must
		 * still see why the keystore was refused, not what recording it ran into */
		lt_err_save(&saved);
		if (lt_db_open(st->db_path, false, &st->db) == LETHE_OK)
			lt_audit_record_unkeyed(st->db, &st->cfg, "open", NULL, rc, saved.text);
		rc = lt_err_restore(&saved, rc);
		goto out;
	}
	rc = lt_db_open(st->db_path, false, &st->db);
	if (rc != LETHE_OK)
		goto out;
	rc = open_unlock(st, o);
	if (rc != LETHE_OK) {
		lt_audit_record_unkeyed(st->db, &st->cfg, "unlock",
					o->passphrase ? "officer" : "service", rc,
					lt_err_detail());
		goto out;
	}
	rc = open_seal(st);
	if (rc != LETHE_OK && rc != LETHE_ERR_INTEGRITY)
		goto out;
	/* a store whose digests were removed stays open for doctor to say so; every read of
	 * its rows fails its check */
	if (rc == LETHE_ERR_INTEGRITY)
		lt_err_clear();
	rc = open_check_store_id(st);
	/* a modified meta row: every check that reads it fails too, and doctor reports it */
	if (rc == LETHE_ERR_INTEGRITY) {
		lt_err_clear();
		rc = LETHE_OK;
	}
	if (rc == LETHE_OK && lt_audit_fold_pending(st) != LETHE_OK) {
		/* One pending record that cannot be folded (a malformed row: anyone who can write
		 * meta.db can add one) must not keep every command out of the store; it stays
		 * where `audit verify` and doctor see it, and syslog hears of it now. */
		lt_audit_report_unwritten("audit.fold", lt_err_detail());
		lt_err_clear();
	}
	if (rc == LETHE_OK)
		lt_recover_cheap(st);
out:
	free(conf);
	if (rc != LETHE_OK) {
		lethe_store_close(st);
		return rc;
	}
	LT_FAULT("store.opened"); /* where LETHE_FAULT_SIM=KIND:N@store.opened starts counting */
	*out = st;
	return LETHE_OK;
}

LETHE_API void lethe_store_close(struct lethe_store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		lt_tx_rollback(st);
	lt_db_close(st->db);
	lt_objstore_close(st->objs);
	lt_config_free(&st->cfg);
	lt_ed25519_key_free(st->evidence_signer);
	lt_secmem_free(st->keys, sizeof(*st->keys));
	lt_row_auth_free(st->row_auth);
	lt_audit_queue_free(&st->syslog_queue);
	free(st->dir);
	free(st->keystore_path);
	free(st->db_path);
	free(st);
}
