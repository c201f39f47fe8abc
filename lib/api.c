/* api.c - the store handle: made for init and open, its purpose keys, the ownership of its
 * paths, its accessors, closed. Creating a store is init.c, opening one open.c. */
#include <ctype.h>
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
#include "crypt/prim.h"
#include "crypt/secmem.h"
#include "keys/authority.h"
#include "keys/kekring.h"
#include "keys/rowauth.h"
#include "keys/wrap.h"
#include "lib/internal.h"
#include "store/db.h"
#include "store/objstore.h"

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

char *lt_path_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *out = malloc(len);

	if (out)
		snprintf(out, len, "%s/%s", dir, name);
	return out;
}
enum lethe_err lt_store_derive_keys(struct lethe_store *st, const uint8_t *mk)
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

struct lethe_store *lt_store_alloc(const char *dir)
{
	struct lethe_store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	lt_config_defaults(&st->cfg);
	st->dir = strdup(dir);
	st->keystore_path = lt_path_join(dir, "keystore.luks");
	st->officers_path = lt_path_join(dir, LT_AUTHORITY_FILE);
	st->db_path = lt_path_join(dir, "meta.db");
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

/*
 * A store refused for its files' owners: the fix in full. The store's owner is the owner of
 * its directory. When that is not the running user (root running doctor on a store of the
 * service's account), the fix is to run lethe as that user, never a chown that would take the
 * store from its service; otherwise one chown naming the owner and every file of the store
 * another user owns, at once. @p rc when neither applies.
 */
enum lethe_err lt_store_owner_fix(const struct lethe_store *st, enum lethe_err rc)
{
	const char *names[] = {"lethe.conf",    "objects", "tmp",         "keystore.luks",
			       "officers.luks", "meta.db", "meta.db-wal", "meta.db-shm"};
	char owner[LT_USER_NAME_MAX], me[LT_USER_NAME_MAX], path[PATH_MAX];
	char list[LT_ERR_DETAIL_MAX / 2] = "";
	size_t n = 0, used = 0;
	struct stat sb;

	if (stat(st->dir, &sb) != 0)
		return rc;
	lt_user_name(sb.st_uid, owner, sizeof(owner));
	lt_user_name(geteuid(), me, sizeof(me));
	if (sb.st_uid != geteuid())
		return lt_err(
		    LETHE_ERR_PERMISSION,
		    "%s belongs to %s (uid %lu), not to the running user %s (uid %lu): "
		    "run lethe as %s (sudo -u %s%s lethe ...); a chown would take the store "
		    "from its owner",
		    st->dir, owner, (unsigned long) sb.st_uid, me, (unsigned long) geteuid(), owner,
		    strcmp(owner, "0") && isdigit((unsigned char) owner[0]) ? "#" : "", owner);
	for (size_t i = 0; i <= sizeof(names) / sizeof(names[0]); i++) {
		const char *p = path;
		int len;

		if (i < sizeof(names) / sizeof(names[0]))
			snprintf(path, sizeof(path), "%s/%s", st->dir, names[i]);
		else if (st->cfg.keyfile)
			p = st->cfg.keyfile;
		else
			break;
		if (lstat(p, &sb) != 0 || sb.st_uid == geteuid())
			continue;
		len = snprintf(list + used, sizeof(list) - used, " %s", p);
		if (len < 0 || (size_t) len >= sizeof(list) - used)
			break;
		used += (size_t) len;
		n++;
	}
	if (n == 0)
		return rc;
	return lt_err(LETHE_ERR_PERMISSION,
		      "%zu file(s) of the store %s are not owned by its owner %s (uid %lu), who "
		      "runs lethe; fix: chown %s%s",
		      n, st->dir, owner, (unsigned long) geteuid(), owner, list);
}
