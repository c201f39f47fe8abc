/* object.c - put and get: the file service's side of lethe (stat and list: list.c).
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
	enum lethe_err rc;

	rc = lt_tx_begin(st);
	if (rc != LETHE_OK)
		return rc;
	/* created_at and retain_until are fixed at commit time, like S3 Object Lock */
	lt_retention_on_put(&st->cfg, lt_now(), row);
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
	lt_strlcpy(row->name, name, sizeof(row->name));
	row->seg_log2 = st->cfg.segment_log2;
	row->state = LETHE_STATE_LIVE;
	rc = lt_key_generate(dek);
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

/* A row that may be read: exists, live, with its key. */
static enum lethe_err readable_row(struct lethe_store *st, const char *id, struct lt_db_object *row)
{
	enum lethe_err rc = lt_uuid_check(id);

	if (rc != LETHE_OK)
		return rc;
	rc = lt_db_object_get(st->db, id, row);
	if (rc == LETHE_ERR_NOT_FOUND)
		return lt_err(LETHE_ERR_NOT_FOUND, "no such object");
	if (rc != LETHE_OK)
		return rc;
	/* a shred nulls the key and sets the state in one statement: a row with one and not the
	 * other was edited outside lethe, and must neither read as shredded nor be used */
	if ((row->state == LETHE_STATE_SHREDDED) == row->has_dek)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "object %s: its row is %s but %s a data key "
			      "(the database was modified)",
			      id, row->state == LETHE_STATE_SHREDDED ? "shredded" : "live",
			      row->has_dek ? "still holds" : "has no");
	if (row->state == LETHE_STATE_SHREDDED) {
		char when[32];

		lt_time_format(row->shredded_at, when, sizeof(when));
		return lt_err(LETHE_ERR_SHREDDED, "object was crypto-shredded at %s", when);
	}
	return LETHE_OK;
}

/*
 * The file of a row read as live is missing. A shred (rm, sweep) in another process may have
 * committed and unlinked it since: read the row again, and if it is shredded now, this get
 * lost that race and fails as a get that came a moment later would (LETHE_ERR_SHREDDED, the
 * "no such object" exit status). A live row without its file is tampering, or a restore that
 * lacks the file. (Once open, the file cannot vanish under the read: an unlink only removes
 * its name.)
 */
static enum lethe_err file_missing(struct lethe_store *st, const char *id, struct lt_db_object *row)
{
	struct lt_err_saved missing;
	enum lethe_err rc;

	lt_err_save(&missing);
	rc = readable_row(st, id, row);
	if (rc != LETHE_OK)
		return rc; /* shredded meanwhile (or a database error, which says so) */
	return lt_err_restore(&missing, LETHE_ERR_INTEGRITY);
}

/*
 * The data key of a row read a moment ago did not unwrap. A `key rewrap` and `key retire` in
 * other processes may have moved it to another KEK and destroyed the old one since, or a shred
 * destroyed it: read the row again, and if it names another KEK (or is shredded now), this get
 * lost that race, not its integrity; try once more with the row as it is now.
 */
static enum lethe_err dek_moved(struct lethe_store *st, const char *id, struct lt_db_object *row,
				uint8_t dek[LT_KEY_LEN])
{
	struct lt_err_saved failure;
	uint32_t was = row->kek_version;
	enum lethe_err rc;

	lt_err_save(&failure);
	rc = readable_row(st, id, row);
	if (rc != LETHE_OK)
		return rc;
	if (row->kek_version == was)
		return lt_err_restore(&failure, LETHE_ERR_INTEGRITY);
	return lt_kek_ring_unwrap_dek(&st->keks, st->db, row, dek);
}

LETHE_API enum lethe_err lethe_object_get_fd(struct lethe_store *st, const char *id, int out_fd,
					     uint64_t offset, uint64_t length, uint64_t *written)
{
	struct lt_db_object *row = NULL;
	uint8_t *dek = NULL;
	uint8_t oid[16];
	uint64_t n = 0;
	struct lt_bytesrc in = {0};
	enum lethe_err rc, audit_rc;
	struct lt_err_saved saved;

	lt_err_clear();
	if (written)
		*written = 0;
	if (!st)
		return lt_err(LETHE_ERR_INVALID, "no store");
	row = calloc(1, sizeof(*row));
	dek = lt_secmem_alloc(LT_KEY_LEN);
	if (!row || !dek) {
		rc = LETHE_ERR_NOMEM;
		goto out;
	}
	rc = readable_row(st, id, row);
	if (rc != LETHE_OK)
		goto out;
	lt_uuid_parse(row->id, oid);
	rc = lt_kek_ring_unwrap_dek(&st->keks, st->db, row, dek);
	if (rc == LETHE_ERR_INTEGRITY)
		rc = dek_moved(st, id, row, dek);
	if (rc == LETHE_OK) {
		LT_FAULT("get.before_open"); /* the row is read, its file not yet open */
		rc = lt_objstore_get(st->objs, row->id, &in);
		if (rc == LETHE_ERR_NOT_FOUND)
			rc = file_missing(st, id, row);
	}
	if (rc == LETHE_OK) {
		/* the range as the row sizes it: the file's own size is checked as it is read */
		uint64_t left = offset < row->size ? row->size - offset : 0;
		struct lt_data_progress progress = {st, "get", 0, length < left ? length : left};
		rc = lt_lth_decrypt_progress(
		    dek, oid, &in, out_fd, offset, length, st->cfg.threads,
		    st->progress && out_fd >= 0 ? lt_data_progress_cb : NULL, &progress, &n);
		if (rc == LETHE_ERR_INTEGRITY)
			lt_err_prefix("object file was modified");
	}
out:
	lt_bytesrc_close(&in);
	lt_secmem_free(dek, LT_KEY_LEN);
	if (written)
		*written = n;
	if (st && rc != LETHE_ERR_INVALID) {
		struct lt_audit_event ev = {
		    .action = "get", .object = id, .err = rc, .group = row ? row->group : NULL};

		ev.error = rc ? lt_err_save(&saved) : "";
		if (offset != 0 || length != LETHE_TO_END)
			ev.action = "get.range";
		audit_rc = lt_audit_record(st, &ev);
		/* the code says why (a corrupt meta.db is an integrity failure, not an I/O error) */
		if (audit_rc != LETHE_OK && rc == LETHE_OK)
			rc = lt_err(audit_rc,
				    "get of %s succeeded but its audit record could not be "
				    "written (%s)",
				    id, lethe_strerror(audit_rc));
	}
	free(row);
	return rc;
}

LETHE_API enum lethe_err lethe_object_get_file(struct lethe_store *st, const char *id,
					       const char *path, uint64_t offset, uint64_t length,
					       uint64_t *written)
{
	struct lt_outfile out;
	enum lethe_err rc;

	lt_err_clear();
	if (written)
		*written = 0;
	if (!st || !id || !path)
		return lt_err(LETHE_ERR_INVALID, "get to a file needs a store, an id and a path");
	rc = lt_outfile_open(path, &out);
	if (rc != LETHE_OK)
		return rc;
	rc = lethe_object_get_fd(st, id, out.fd, offset, length, written);
	if (rc == LETHE_OK) {
		LT_FAULT("get_file.before_commit");
		return lt_outfile_commit(&out, path);
	}
	lt_outfile_abort(&out);
	/*
	 * The caller tells a failure of the object from one of the file by the name in front
	 * (an empty id has no name to put there, and is refused as malformed anyway).
	 */
	if (*id) {
		if (!*lt_err_detail())
			lt_err(rc, "%s", lethe_strerror(rc));
		lt_err_prefix("%s", id);
	}
	return rc;
}
