/* object.c - put: the file service's side of lethe that writes (get: get.c; stat and list: list.c).
 *
 * A put is crash-safe in this order: encrypt into a put of the object store (announced while
 * it runs), commit it there (durable, under its id), then one transaction inserts the row
 * (wrapped DEK included) and its audit record; only then does the put end. A crash before the
 * commit leaves a dead put whose key never existed: the next open's recovery sees no row and
 * removes the object with it (store/objstore.h; with files, DIR/tmp/<id>.tmp and its link).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"
#include "common/fault.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "crypt/lth.h"
#include "crypt/prim.h"
#include "crypt/secmem.h"
#include "keys/wrap.h"
#include "lib/internal.h"
#include "retention/group.h"
#include "retention/policy.h"
#include "store/db.h"
#include "store/objstore.h"

static enum lethe_err check_put_args(const struct lt_config *cfg, const char **group,
				     const char **name)
{
	struct lt_group_policy policy;

	/* "" is a mistake (an unset variable in a script), not a request for the default */
	if (*group && !**group)
		return lt_err(LETHE_ERR_INVALID,
			      "empty group name: omit the group for \"default\"");
	if (!*group)
		*group = "default";
	if (!*name)
		*name = "";
	if (!lt_group_name_valid(*group))
		return lt_err(LETHE_ERR_INVALID,
			      "group \"%.80s\" is not valid: 1-%d characters of "
			      "A-Z a-z 0-9 . _ -",
			      *group, LETHE_GROUP_MAX);
	if (strlen(*name) > LETHE_NAME_MAX)
		return lt_err(LETHE_ERR_INVALID, "name longer than %d bytes", LETHE_NAME_MAX);
	/* a mistyped group would otherwise silently get the default retention */
	lt_group_policy_get(cfg, *group, &policy);
	if (!policy.known && !cfg->unknown_groups)
		return lt_err(LETHE_ERR_INVALID,
			      "group \"%s\" has no [group:%s] section in lethe.conf "
			      "(set [retention] unknown_groups = allow to accept any group)",
			      *group, *group);
	return LETHE_OK;
}

/* The transaction that makes a committed file an object. */
static enum lethe_err put_commit_row(struct lethe_store *st, struct lt_db_object *row,
				     const uint8_t dek[LT_KEY_LEN])
{
	struct lt_audit_event ev = {.action = "put", .object = row->id, .group = row->group};
	char fixed[LT_RETENTION_PUT_DETAIL_MAX];
	int64_t now;
	enum lethe_err rc;

	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	/* created_at and retain_until are fixed at commit time, like S3 Object Lock, by a clock
	 * the kernel agrees with */
	rc = lt_clock_now(st, "put", &now);
	if (rc != LETHE_OK) {
		lt_tx_rollback(st);
		return rc;
	}
	lt_retention_on_put(&st->cfg, now, row);
	/* and the audit log says so: the evidence verifier holds certificates against it */
	lt_retention_put_detail(row, fixed, sizeof(fixed));
	ev.error = fixed;
	/* under the primary as read in this transaction: a rotation since the write counts */
	rc = lt_kek_ring_wrap_dek(&st->keks, st->db, row, dek);
	if (rc == LETHE_OK)
		rc = lt_db_object_insert(st->db, row);
	if (rc == LETHE_OK)
		rc = lt_audit_append(st, &ev);
	if (rc == LETHE_OK) {
		LT_FAULT("put.before_commit");
		rc = lt_tx_commit(st);
	} else {
		lt_tx_rollback(st);
	}
	return rc;
}

void lt_data_progress_cb(uint64_t file_bytes, uint64_t plaintext_bytes, void *ctx)
{
	struct lt_data_progress *p = ctx;

	(void) file_bytes;
	p->done += plaintext_bytes;
	lt_progress(p->st, p->what, p->done, p->total);
}

/* What is left to read of @p fd when it is a regular file, else 0 (a pipe: not known). */
static uint64_t input_left(int fd)
{
	struct stat sb;
	off_t pos;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return 0;
	pos = lseek(fd, 0, SEEK_CUR);
	return pos >= 0 && pos <= sb.st_size ? (uint64_t) (sb.st_size - pos) : 0;
}

LETHE_API enum lethe_err lethe_object_put_fd(struct lethe_store *st, int fd, const char *group,
					     const char *name, char id_out[LETHE_ID_LEN + 1])
{
	struct lt_db_object *row = NULL;
	struct lt_lth_info info;
	uint8_t oid[16];
	uint8_t *dek = NULL;
	struct lt_objstore_put *put = NULL;
	int put_fd = -1;
	bool linked = false;
	enum lethe_err rc;

	lt_err_clear();
	if (id_out)
		memset(id_out, 0, LETHE_ID_LEN + 1);
	if (!st || fd < 0 || !id_out)
		return lt_err(LETHE_ERR_INVALID, "put needs a store, an input and an id buffer");
	rc = check_put_args(&st->cfg, &group, &name);
	if (rc == LETHE_OK)
		rc = lt_store_writable(st); /* before any file is staged */
	if (rc != LETHE_OK)
		return rc;
	row = calloc(1, sizeof(*row));
	dek = lt_secmem_alloc(LT_KEY_LEN);
	if (!row || !dek) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	lt_uuid_generate(row->id);
	lt_uuid_parse(row->id, oid);
	lt_strlcpy(row->group, group, sizeof(row->group));
	row->seg_log2 = st->cfg.segment_log2;
	row->state = LETHE_STATE_LIVE;
	rc = lt_key_generate(dek);
	/* the name is kept only encrypted under the data key: the shred destroys it too */
	if (rc == LETHE_OK)
		rc = lt_names_protect(st, row, dek, name);
	if (rc != LETHE_OK)
		goto out;
	rc = lt_objstore_put_begin(st->objs, row->id, &put, &put_fd);
	if (rc != LETHE_OK)
		goto out;
	struct lt_data_progress progress = {st, "put", 0, st->progress ? input_left(fd) : 0};
	rc = lt_lth_encrypt_progress(dek, oid, row->seg_log2, fd, put_fd, st->cfg.threads,
				     st->progress ? lt_data_progress_cb : NULL, &progress, &info);
	if (rc != LETHE_OK)
		goto out;
	LT_FAULT("put.after_tmp_write");
	row->size = info.plaintext_size;
	memcpy(row->sha256, info.ciphertext_sha256, 32);
	rc = lt_objstore_put_commit(put);
	if (rc != LETHE_OK)
		goto out;
	linked = true;
	LT_FAULT("put.after_link");
	rc = put_commit_row(st, row, dek);
	if (rc != LETHE_OK)
		goto out;
	LT_FAULT("put.after_commit");
	linked = false;
	memcpy(id_out, row->id, LETHE_ID_LEN + 1);
out:
	if (rc != LETHE_OK && linked)
		lt_objstore_delete(st->objs, row->id);
	lt_objstore_put_end(put);
	if (rc != LETHE_OK && row && st) {
		struct lt_err_saved saved;

		lt_audit_record(st, &(struct lt_audit_event){.action = "put",
							     .object = row->id,
							     .group = row->group,
							     .err = rc,
							     .error = lt_err_save(&saved)});
	}
	lt_secmem_free(dek, LT_KEY_LEN);
	free(row);
	return rc;
}

LETHE_API enum lethe_err lethe_object_put_buf(struct lethe_store *st, const void *buf, size_t len,
					      const char *group, const char *name,
					      char id_out[LETHE_ID_LEN + 1])
{
	int fd;
	enum lethe_err rc;

	lt_err_clear();
	if (id_out)
		memset(id_out, 0, LETHE_ID_LEN + 1);
	if (!buf && len)
		return lt_err(LETHE_ERR_INVALID, "no buffer");
	/* a sealed memfd lets the buffer take the same streaming path as a file */
	fd = memfd_create("lethe-put", MFD_CLOEXEC);
	if (fd < 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "memfd_create");
	rc = len ? lt_write_all(fd, buf, len) : LETHE_OK;
	if (rc == LETHE_OK && lseek(fd, 0, SEEK_SET) != 0)
		rc = lt_err_errno(LETHE_ERR_IO, errno, "lseek");
	if (rc == LETHE_OK)
		rc = lethe_object_put_fd(st, fd, group, name, id_out);
	close(fd);
	return rc;
}
