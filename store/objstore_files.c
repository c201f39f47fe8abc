/* objstore_files.c - the default object store: one file per object under the store directory
 * (store/objfile.c does the work: staging under flock, link into place, fsyncs, recovery). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "store/objfile.h"
#include "store/objstore.h"

struct files {
	struct lt_objstore base;
	char *dir;
};

/* A put: the staged file DIR/tmp/<id>.tmp, open and locked. */
struct files_put {
	struct lt_objstore_put base;
	char id[LETHE_ID_LEN + 1];
	char tmp_path[LT_PATH_MAX];
	int fd;
};

static const char *dir_of(const struct lt_objstore *os)
{
	return ((const struct files *) os)->dir;
}

static void files_close(struct lt_objstore *os)
{
	free(((struct files *) os)->dir);
	free(os);
}

static enum lethe_err files_prepare(struct lt_objstore *os)
{
	return lt_obj_dirs_ensure(dir_of(os));
}

static enum lethe_err files_put_begin(struct lt_objstore *os, const char *id,
				      struct lt_objstore_put **out, int *fd)
{
	struct files_put *put = calloc(1, sizeof(*put));
	enum lethe_err rc;

	if (!put)
		return lt_err(LETHE_ERR_NOMEM, "object %.40s: out of memory", id ? id : "");
	rc = lt_obj_tmp_create(dir_of(os), id, put->tmp_path, sizeof(put->tmp_path), &put->fd);
	if (rc != LETHE_OK) {
		free(put);
		return rc;
	}
	put->base.os = os;
	memcpy(put->id, id, sizeof(put->id));
	*fd = put->fd;
	*out = &put->base;
	return LETHE_OK;
}

static enum lethe_err files_put_commit(struct lt_objstore_put *base)
{
	struct files_put *put = (struct files_put *) base;

	return lt_obj_commit(dir_of(base->os), put->tmp_path, put->fd, put->id);
}

static void files_put_end(struct lt_objstore_put *base)
{
	struct files_put *put = (struct files_put *) base;

	lt_obj_tmp_release(put->tmp_path, put->fd);
	free(put);
}

static bool files_put_pending(struct lt_objstore *os, const char *id)
{
	return lt_obj_staged(dir_of(os), id);
}

/* ---- ranged reads of an object file ---- */

static int fd_of(void *ctx)
{
	return (int) (intptr_t) ctx;
}

static enum lethe_err file_read_at(void *ctx, void *buf, size_t len, uint64_t offset, size_t *got)
{
	return lt_pread_full(fd_of(ctx), buf, len, offset, got);
}

/* lt_obj_open() saw a regular file: only its size is left to ask. */
static enum lethe_err file_size(void *ctx, uint64_t *size)
{
	struct stat st;

	*size = 0;
	if (fstat(fd_of(ctx), &st) != 0)
		return lt_err_errno(LETHE_ERR_IO, errno, "fstat of the object file");
	*size = (uint64_t) st.st_size;
	return LETHE_OK;
}

static void file_close(void *ctx)
{
	close(fd_of(ctx));
}

static enum lethe_err files_get(struct lt_objstore *os, const char *id, struct lt_bytesrc *src)
{
	int fd = -1;
	enum lethe_err rc = lt_obj_open(dir_of(os), id, &fd);

	if (rc != LETHE_OK)
		return rc;
	src->read_at = file_read_at;
	src->size = file_size;
	src->close = file_close;
	src->ctx = (void *) (intptr_t) fd;
	return LETHE_OK;
}

static enum lethe_err files_where(struct lt_objstore *os, const char *id, char *where, size_t len)
{
	return lt_obj_path(dir_of(os), id, where, len);
}

static enum lethe_err files_probe(struct lt_objstore *os, const char *id)
{
	char path[LT_PATH_MAX];
	struct stat st;

	if (!lt_obj_id_valid(id) || lt_obj_path(dir_of(os), id, path, sizeof(path)) != LETHE_OK)
		return LETHE_ERR_INVALID;
	if (lstat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? LETHE_ERR_NOT_FOUND
							   : lt_err_from_errno(errno);
	return S_ISREG(st.st_mode) ? LETHE_OK : LETHE_ERR_INTEGRITY;
}

/* ---- deleting ---- */

static enum lethe_err files_delete_one(struct lt_objstore *os, const char *id)
{
	return lt_obj_unlink(dir_of(os), id);
}

static size_t files_delete_many(struct lt_objstore *os, const char (*ids)[LETHE_ID_LEN + 1],
				size_t n, int *errs)
{
	return lt_obj_unlink_many(dir_of(os), ids, n, errs);
}

static enum lethe_err files_delete_error(struct lt_objstore *os, const char *id, int err)
{
	return lt_obj_unlink_error(dir_of(os), id, err);
}

static enum lethe_err files_delete_sync(struct lt_objstore *os)
{
	return lt_obj_unlinks_sync(dir_of(os));
}

/* ---- listing and recovery ---- */

static enum lethe_err files_list(struct lt_objstore *os, lt_objstore_fn fn, void *ctx)
{
	return lt_obj_scan(dir_of(os), fn, ctx);
}

static enum lethe_err files_remove_stray(struct lt_objstore *os, const char *where)
{
	(void) os;
	if (unlink(where) != 0)
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s", where);
	return LETHE_OK;
}

static enum lethe_err files_recover(struct lt_objstore *os, lt_objstore_committed_fn committed,
				    void *ctx, size_t *removed)
{
	return lt_tmp_recover(dir_of(os), committed, ctx, removed);
}

static enum lethe_err files_leftovers(struct lt_objstore *os, size_t *count)
{
	return lt_tmp_leftovers(dir_of(os), count);
}

static const struct lt_objstore_ops files_ops = {
    .name = "files",
    .close = files_close,
    .prepare = files_prepare,
    .put_begin = files_put_begin,
    .put_commit = files_put_commit,
    .put_end = files_put_end,
    .put_pending = files_put_pending,
    .get = files_get,
    .where = files_where,
    .probe = files_probe,
    .delete_one = files_delete_one,
    .delete_many = files_delete_many,
    .delete_error = files_delete_error,
    .delete_sync = files_delete_sync,
    .list = files_list,
    .remove_stray = files_remove_stray,
    .recover = files_recover,
    .leftovers = files_leftovers,
};

enum lethe_err lt_objstore_files_open(const char *store_dir, struct lt_objstore **out)
{
	struct files *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f || !(f->dir = strdup(store_dir))) {
		free(f);
		return lt_err(LETHE_ERR_NOMEM, "%s: out of memory", store_dir);
	}
	f->base.ops = &files_ops;
	*out = &f->base;
	return LETHE_OK;
}
