/* init.c - creating a store: its directory, keyfile, lethe.conf, keystore, officers.luks and
 * meta.db, the first KEK and the evidence key, the init record and the anchor; undone whole
 * on failure. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/config.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "crypt/secmem.h"
#include "keys/authority.h"
#include "keys/evkey.h"
#include "keys/kekring.h"
#include "keys/keyfile.h"
#include "keys/keystore.h"
#include "keys/rowauth.h"
#include "lib/internal.h"
#include "retention/group.h"
#include "store/db.h"

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

static enum lethe_err init_files(struct lethe_store *st, const struct lethe_init_opts *o)
{
	uint8_t *service_key = lt_secmem_alloc(LT_SERVICE_KEY_LEN);
	struct lt_kdf_params kdf;
	char *conf_path = lt_path_join(o->dir, "lethe.conf");
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
	rc = lt_store_derive_keys(st, st->keys->mk);
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
	st = lt_store_alloc(o->dir);
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
