/* get.c - get: the file service's side of lethe that reads (put: object.c; stat and list: list.c).
 *
 * A get reads the row, unwraps its data key and decrypts the object store's file into the
 * caller's descriptor; it loses a race with a concurrent shred or rewrap as a later get would,
 * and is audited whatever its outcome.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fault.h"
#include "common/fsutil.h"
#include "common/timeutil.h"
#include "crypt/lth.h"
#include "crypt/secmem.h"
#include "keys/wrap.h"
#include "lib/internal.h"
#include "store/db.h"
#include "store/objstore.h"

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
