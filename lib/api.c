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
#include "keys/authority.h"
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

LETHE_API void lethe_store_set_progress(struct lethe_store *store, lethe_progress_fn fn, void *ctx)
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

LETHE_API const char *lethe_store_read_only(const struct lethe_store *store)
{
	return store ? store->read_only : NULL;
}

LETHE_API uint64_t lethe_store_unaudited(const struct lethe_store *store, const char **why)
{
	if (why)
		*why = store && store->unaudited ? store->unaudited_why : NULL;
	return store ? store->unaudited : 0;
}

enum lethe_err lt_store_writable(struct lethe_store *st)
{
	if (!st->read_only)
		return LETHE_OK;
	st->write_refused = true;
	if (st->read_only_err == LETHE_ERR_NOSPC)
		return lt_err(LETHE_ERR_NOSPC,
			      "%s: the disk is full: nothing can be written to the "
			      "store until space is freed",
			      st->dir);
	return lt_err(LETHE_ERR_IO, "%s is read-only (%s): nothing can be written to it", st->dir,
		      st->read_only);
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

/*
 * DIR must not exist, or be an empty directory. A fresh file system mounted at DIR holds
 * lost+found (made by mkfs, root's, often unreadable to us): a directory of that name alone
 * counts as empty. *created tells whether we made it.
 */
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
		struct stat sb;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(e->d_name, "lost+found") &&
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode))
			continue;
		empty = false;
		break;
	}
	closedir(d);
	if (!empty)
		return lt_err(LETHE_ERR_EXISTS,
			      "%s: directory is not empty; a store is created "
			      "in a new or empty directory",
			      dir);
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
		len = (size_t) (slash - path);
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
		rc = lt_mk_derive(mk, st->store_id, LT_MK_AUDIT_ANCHOR, st->keys->audit_anchor);
	if (rc == LETHE_OK)
		rc = lt_mk_derive(mk, st->store_id, LT_MK_NAME_COMMIT, st->keys->name_commit);
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

static int seal_seen(const struct lt_db_audit *rec, void *ctx)
{
	bool *seen = ctx;

	if (strcmp(rec->action, "store.seal") == 0 ||
	    (strcmp(rec->action, "init") == 0 && strstr(rec->error, LT_INIT_SEALED))) {
		*seen = true;
		return 1;
	}
	return 0;
}

/*
 * Why a store without digests must not be sealed (NULL: it is one from before row MACs). Only
 * a store as 0.1.x left it is: a log that begins with its init record, no store.seal and no
 * sealed init record in it, and no anchor in the keystore (a store made by this release is
 * anchored at init, an upgraded one at the open that seals it). Removing the digests, the log
 * and the anchor together therefore does not bring trust on first use back.
 */
static const char *seal_refused(struct lethe_store *st, enum lethe_err *rc)
{
	struct lt_anchor a;
	bool seen = false, init = false, anchored = false, found = false;

	*rc = lt_audit_log_start(st, &init, &anchored);
	if (*rc != LETHE_OK)
		return NULL;
	if (!init)
		return "the audit log does not begin with the store's init record (records were "
		       "deleted)";
	*rc = lt_db_audit_list(st->db, 1, 0, seal_seen, &seen);
	if (*rc != LETHE_OK)
		return NULL;
	if (seen)
		return "its rows were sealed before";
	*rc = lt_anchor_read(st->keystore_path, st->keys->audit_anchor, st->store_id, &a, &found);
	if (*rc == LETHE_ERR_INTEGRITY) {
		lt_err_clear();
		*rc = LETHE_OK;
		found = true; /* a token, even a bad one, is an anchor someone made */
	}
	if (*rc != LETHE_OK)
		return NULL;
	if (found)
		return "keystore.luks holds an audit anchor, which only a sealed store has";
	return NULL;
}

/*
 * A store written by a version before row MACs has no digests: its rows are MAC'd as they
 * stand at its first keyed open, once (trust on first use: docs/THREATS.md), the audit
 * log says when, and the store is anchored then. A store that was sealed and lost its digests
 * is not sealed again: its rows then fail their checks, and doctor says why.
 */
static enum lethe_err open_seal(struct lethe_store *st)
{
	bool sealed = false;
	const char *why = NULL;
	enum lethe_err rc;

	rc = lt_db_rowmac_sealed(st->db, &sealed);
	if (rc != LETHE_OK || sealed)
		return rc;
	/* a read-only snapshot of an unsealed store is left as it is: its rows fail their checks,
	 * and a writable open seals it */
	if (st->read_only)
		return LETHE_OK;
	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	/* again under the write lock: another process may have sealed meanwhile */
	rc = lt_db_rowmac_sealed(st->db, &sealed);
	if (rc == LETHE_OK && !sealed)
		why = seal_refused(st, &rc);
	if (rc == LETHE_OK && !sealed && why)
		rc = lt_err(LETHE_ERR_INTEGRITY,
			    "%s: the row digests are missing and the store is not sealed again: %s "
			    "(see doctor)",
			    st->db_path, why);
	if (rc == LETHE_OK && !sealed)
		rc = lt_db_rowmac_seal(st->db);
	if (rc == LETHE_OK && !sealed)
		rc = lt_audit_append(st, &(struct lt_audit_event){
					     .action = "store.seal",
					     .error = "rows of a store from before row MACs sealed "
						      "as they stood"});
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
	/* anchored by the open that sealed it (a failure is on syslog; the next writer tries) */
	if (rc == LETHE_OK && !sealed) {
		struct lt_err_saved saved;

		lt_err_save(&saved);
		(void) lt_audit_anchor(st, false);
		lt_err_restore(&saved, LETHE_OK);
	}
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
	st->officers_path = path_join(dir, LT_AUTHORITY_FILE);
	st->db_path = path_join(dir, "meta.db");
	st->keys = lt_secmem_alloc(sizeof(*st->keys));
	if (!st->dir || !st->keystore_path || !st->officers_path || !st->db_path || !st->keys ||
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
	struct lt_audit_event ev = {.action = "init"};
	char detail[128], fingerprint[65];

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
	/* keystore.luks: the service keyslot alone; the officer goes to officers.luks */
	rc = lt_keystore_create(st->keystore_path, service_key, NULL, NULL, 0, &kdf, st->keys->mk,
				st->store_id);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_authority_create(st->officers_path, st->store_id, st->keys->mk, o->officer,
				 o->passphrase, o->passphrase_len, &kdf, st->keys->oas,
				 st->authority_pub);
	st->authority_ready = rc == LETHE_OK;
	if (rc == LETHE_OK)
		rc = lt_authority_fingerprint(st->authority_pub, fingerprint);
	if (rc != LETHE_OK)
		goto out;
	/* the init record names the authority, and so does its syslog line: out of reach of
	 * anyone who later holds MK */
	snprintf(detail, sizeof(detail), LT_AUDIT_INIT_AUTHORITY "%s; " LT_INIT_SEALED,
		 fingerprint);
	ev.error = detail;
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
		rc = lt_db_meta_set(st->db, LT_AUTHORITY_META_PUB, st->authority_pub,
				    sizeof(st->authority_pub));
	if (rc == LETHE_OK)
		rc = lt_secconf_record(st);
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &ev);
	/* the record that tells every verifier an anchor must exist, then the anchor */
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &(struct lt_audit_event){.action = "audit.anchor"});
	if (rc == LETHE_OK)
		rc = lt_tx_commit(st);
	else
		lt_tx_rollback(st);
	if (rc == LETHE_OK)
		rc = lt_audit_anchor(st, true);
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
	static const char *const files[] = {"lethe.conf",     "keystore.luks", LT_AUTHORITY_FILE,
					    "meta.db",        "meta.db-wal",   "meta.db-shm",
					    "meta.db-journal"};
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
		return lt_err(LETHE_ERR_INVALID,
			      "officer name must be 1-%d characters of "
			      "A-Z a-z 0-9 . _ - (and not \"service\")",
			      LETHE_OFFICER_MAX);
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
			rc = lt_err(LETHE_ERR_INVALID,
				    "%s: the keyfile must live outside the "
				    "store directory",
				    st->cfg.keyfile);
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

/*
 * An officer passphrase: officers.luks when the store has one (the roster's keyslots only),
 * giving the OAS and MK; otherwise a store from before it, whose officers are keyslots of
 * keystore.luks (*@p legacy: migrated once the database is open). The MK must open
 * keystore.luks: an officers.luks around another store's MK is refused.
 */
static enum lethe_err open_officer(struct lethe_store *st, const struct lethe_open_opts *o,
				   uint8_t *mk, char store_id[LETHE_ID_LEN + 1], bool *legacy)
{
	enum lethe_err rc;
	struct stat sb;

	*legacy = false;
	if (lstat(st->officers_path, &sb) != 0 && errno == ENOENT) {
		uint8_t pinned[LT_ED25519_PUB_LEN];
		size_t len = 0;

		/* a store that has officers.luks never goes back to officer keyslots in
		 * keystore.luks, which anyone holding the service keyfile can add */
		if (lt_db_meta_get(st->db, LT_AUTHORITY_META_PUB, pinned, sizeof(pinned), &len) !=
		    LETHE_ERR_NOT_FOUND)
			return lt_err(
			    LETHE_ERR_INTEGRITY,
			    "%s is missing, but meta.db pins an "
			    "officer authority: restore it from a backup (officer keyslots "
			    "of keystore.luks are not honoured any more)",
			    st->officers_path);
		*legacy = true;
		return lt_keystore_unlock_passphrase(st->keystore_path, o->passphrase,
						     o->passphrase_len, mk, &st->who, store_id);
	}
	rc = lt_keystore_id(st->keystore_path, store_id);
	if (rc == LETHE_OK)
		rc = lt_authority_unlock(st->officers_path, store_id, NULL, o->passphrase,
					 o->passphrase_len, st->keys->oas, mk, &st->who,
					 st->authority_pub);
	if (rc == LETHE_OK)
		rc = lt_keystore_mk_check(st->keystore_path, mk);
	st->authority_ready = rc == LETHE_OK;
	return rc;
}

static enum lethe_err open_unlock(struct lethe_store *st, const struct lethe_open_opts *o,
				  bool *legacy)
{
	uint8_t *secret = lt_secmem_alloc(LT_SERVICE_KEY_LEN);
	uint8_t *mk = lt_secmem_alloc(LT_MK_LEN);
	char store_id[LETHE_ID_LEN + 1] = "";
	enum lethe_err rc = LETHE_ERR_NOMEM;

	if (!secret || !mk)
		goto out;
	*legacy = false;
	if (o->passphrase) {
		rc = open_officer(st, o, mk, store_id, legacy);
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

/*
 * Whether the store can be written at all, asked before anything tries: a snapshot or a
 * read-only mount says EROFS, a copy without write permission EACCES (root passes the mode
 * bits, and writes). The directory counts too: SQLite creates meta.db-wal and -shm there.
 */
static const char *store_read_only(const struct lethe_store *st)
{
	if (access(st->dir, W_OK) == 0 && access(st->db_path, W_OK) == 0)
		return NULL;
	if (errno == EROFS)
		return "read-only file system";
	if (errno == EACCES || errno == EPERM)
		return "no write permission";
	return NULL; /* the open says what else is wrong */
}

/*
 * Open meta.db for writing, or read-only when the store cannot be written: then, or when the
 * disk turns out to be full (SQLite cannot even grow its wal-index), the handle reads and
 * refuses every write, saying why.
 */
static enum lethe_err open_db(struct lethe_store *st)
{
	enum lethe_err rc;

	st->read_only = store_read_only(st);
	st->read_only_err = LETHE_ERR_IO;
	if (!st->read_only) {
		rc = lt_db_open(st->db_path, false, &st->db);
		if (rc != LETHE_ERR_NOSPC)
			return rc;
		st->read_only = "the disk is full";
		st->read_only_err = LETHE_ERR_NOSPC;
		lt_err_clear();
	}
	return lt_db_open_read_only(st->db_path, &st->db);
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

/* One path the store owns: lt_check_owned(), and the report when @p fn is set. A missing
 * lethe.conf is the config loader's to report, a missing objects/ or tmp/ is recreated. */
static enum lethe_err check_owned_one(const char *path, bool dir, bool follow, lt_store_owned_fn fn,
				      void *ctx)
{
	enum lethe_err rc = lt_check_owned(path, dir, follow);

	if (rc == LETHE_ERR_NOT_FOUND) {
		lt_err_clear();
		return LETHE_OK;
	}
	if (fn)
		fn(path, rc, rc == LETHE_OK ? NULL : lt_err_detail(), ctx);
	return rc;
}

enum lethe_err lt_store_check_owned(const char *dir, const char *conf, lt_store_owned_fn fn,
				    void *ctx)
{
	char objects[PATH_MAX], tmp[PATH_MAX];
	const struct {
		const char *path;
		bool dir, follow;
	} paths[] = {
	    {dir, true, true}, {conf, false, false}, {objects, true, false}, {tmp, true, false}};
	enum lethe_err rc, first = LETHE_OK;

	snprintf(objects, sizeof(objects), "%s/objects", dir);
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		rc = check_owned_one(paths[i].path, paths[i].dir, paths[i].follow, fn, ctx);
		/* without a report, the first failure's detail is the one the caller sees */
		if (rc != LETHE_OK && !fn)
			return rc;
		if (first == LETHE_OK)
			first = rc;
	}
	return first;
}

/*
 * The handle's configuration: the store's own @p conf, or @p other (--config) with every
 * security setting taken from @p conf (common/config.h says which; one that @p other sets
 * differently is refused).
 */
static enum lethe_err open_config(struct lethe_store *st, const char *conf, const char *other)
{
	struct lt_config own;
	enum lethe_err rc;

	if (!other) {
		rc = lt_config_load(conf, &st->cfg);
		if (rc == LETHE_OK)
			rc = lt_group_sections_check(&st->cfg, conf);
		return rc;
	}
	rc = lt_config_load(other, &st->cfg);
	if (rc == LETHE_OK)
		rc = lt_group_sections_check(&st->cfg, other);
	if (rc != LETHE_OK)
		return rc;
	rc = lt_config_load(conf, &own);
	if (rc == LETHE_OK)
		rc = lt_group_sections_check(&own, conf);
	if (rc == LETHE_OK)
		rc = lt_config_take_security(&st->cfg, other, &own, conf);
	lt_config_free(&own);
	return rc;
}

LETHE_API enum lethe_err lethe_store_open(const struct lethe_open_opts *o, struct lethe_store **out)
{
	struct lethe_store *st = NULL;
	char *conf = NULL;
	bool legacy = false;
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
	conf = path_join(o->dir, "lethe.conf");
	if (!conf) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	if (access(o->dir, F_OK) != 0) {
		rc = lt_err_errno(LETHE_ERR_CONFIG, errno, "%s: no store", o->dir);
		goto out;
	}
	/* before a setting is believed: nobody but the store's owner may have written them */
	rc = lt_store_check_owned(st->dir, conf, NULL, NULL);
	if (rc == LETHE_OK) {
		rc = open_config(st, conf, o->config);
		if (rc != LETHE_OK)
			goto out;
		rc = lt_check_private_file(st->keystore_path);
	}
	if (rc == LETHE_ERR_NOT_FOUND)
		rc = lt_err(LETHE_ERR_KEYSTORE, "%s: keystore missing", st->keystore_path);
	if (rc != LETHE_OK) {
		struct lt_err_saved saved;

		/* audit what we can: the database may still be ours to write; the user must
		 * still see why the store was refused, not what recording it ran into (the
		 * settings are the defaults, syslog on, when lethe.conf itself was refused) */
		lt_err_save(&saved);
		if (open_db(st) == LETHE_OK)
			lt_audit_record_unkeyed(st->db, &st->cfg, "open", NULL, rc, saved.text);
		rc = lt_err_restore(&saved, rc);
		goto out;
	}
	rc = open_db(st);
	if (rc != LETHE_OK)
		goto out;
	rc = open_unlock(st, o, &legacy);
	if (rc != LETHE_OK) {
		lt_audit_record_unkeyed(st->db, &st->cfg, "unlock",
					o->passphrase ? "officer" : "service", rc, lt_err_detail());
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
	if (rc == LETHE_OK && st->officer) {
		rc = lt_authority_open(st, legacy, o->passphrase, o->passphrase_len);
		if (rc != LETHE_OK)
			lt_audit_record_unkeyed(st->db, &st->cfg, "unlock", "officer", rc,
						lt_err_detail());
	}
	/* a read-only handle leaves pending records, staged files and unlinks to a writable one */
	if (rc == LETHE_OK && !st->read_only && lt_audit_fold_pending(st) != LETHE_OK) {
		/* One pending record that cannot be folded (a malformed row: anyone who can write
		 * meta.db can add one) must not keep every command out of the store; it stays
		 * where `audit verify` and doctor see it, and syslog hears of it now. */
		lt_audit_report_unwritten("audit.fold", lt_err_detail());
		lt_err_clear();
	}
	/* an edit of lethe.conf's security settings is recorded, never silent; a meta row that
	 * fails its check is doctor's to report */
	if (rc == LETHE_OK && !st->read_only) {
		rc = lt_secconf_open(st);
		if (rc == LETHE_ERR_INTEGRITY) {
			lt_err_clear();
			rc = LETHE_OK;
		}
	}
	/* names a store from before schema 3 kept in clear are encrypted now; a store whose
	 * rows fail their checks stays open for doctor to say why, as above */
	if (rc == LETHE_OK) {
		rc = lt_names_convert(st);
		if (rc == LETHE_ERR_INTEGRITY) {
			lt_err_clear();
			rc = LETHE_OK;
		}
	}
	if (rc == LETHE_OK && !st->read_only)
		lt_recover_cheap(st);
	if (rc == LETHE_OK)
		rc = lt_clock_check_open(st);
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
	/* what this handle appended is anchored before it goes; a failure is on syslog */
	if (st->db && st->anchor_dirty)
		(void) lt_audit_anchor(st, false);
	lt_db_close(st->db);
	lt_objstore_close(st->objs);
	lt_config_free(&st->cfg);
	lt_ed25519_key_free(st->evidence_signer);
	lt_ed25519_key_free(st->authority_signer);
	lt_secmem_free(st->keys, sizeof(*st->keys));
	lt_row_auth_free(st->row_auth);
	lt_audit_queue_free(&st->syslog_queue);
	free(st->dir);
	free(st->keystore_path);
	free(st->officers_path);
	free(st->db_path);
	free(st);
}
