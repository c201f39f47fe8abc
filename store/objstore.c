/* objstore.c - the object-store interface's calls, dispatched to the backend a handle was
 * opened with; and the choice of that backend. */
#include "store/objstore.h"

enum lethe_err lt_objstore_open(const char *store_dir, struct lt_objstore **out)
{
	/* one backend so far; a second is chosen here, from the store's configuration */
	return lt_objstore_files_open(store_dir, out);
}

void lt_objstore_close(struct lt_objstore *os)
{
	if (os)
		os->ops->close(os);
}

enum lethe_err lt_objstore_prepare(struct lt_objstore *os)
{
	return os->ops->prepare(os);
}

enum lethe_err lt_objstore_put_begin(struct lt_objstore *os, const char *id,
				     struct lt_objstore_put **put, int *fd)
{
	*put = NULL;
	*fd = -1;
	return os->ops->put_begin(os, id, put, fd);
}

enum lethe_err lt_objstore_put_commit(struct lt_objstore_put *put)
{
	return put->os->ops->put_commit(put);
}

void lt_objstore_put_end(struct lt_objstore_put *put)
{
	if (put)
		put->os->ops->put_end(put);
}

bool lt_objstore_put_pending(struct lt_objstore *os, const char *id)
{
	return os->ops->put_pending(os, id);
}

enum lethe_err lt_objstore_get(struct lt_objstore *os, const char *id, struct lt_bytesrc *src)
{
	*src = (struct lt_bytesrc){0};
	return os->ops->get(os, id, src);
}

enum lethe_err lt_objstore_where(struct lt_objstore *os, const char *id, char *where, size_t len)
{
	return os->ops->where(os, id, where, len);
}

enum lethe_err lt_objstore_probe(struct lt_objstore *os, const char *id)
{
	return os->ops->probe(os, id);
}

enum lethe_err lt_objstore_delete(struct lt_objstore *os, const char *id)
{
	return os->ops->delete_one(os, id);
}

size_t lt_objstore_delete_many(struct lt_objstore *os, const char (*ids)[LETHE_ID_LEN + 1],
			       size_t n, int *errs)
{
	return os->ops->delete_many(os, ids, n, errs);
}

enum lethe_err lt_objstore_delete_error(struct lt_objstore *os, const char *id, int err)
{
	return os->ops->delete_error(os, id, err);
}

enum lethe_err lt_objstore_delete_sync(struct lt_objstore *os)
{
	return os->ops->delete_sync(os);
}

enum lethe_err lt_objstore_list(struct lt_objstore *os, lt_objstore_fn fn, void *ctx)
{
	return os->ops->list(os, fn, ctx);
}

enum lethe_err lt_objstore_remove_stray(struct lt_objstore *os, const char *where)
{
	return os->ops->remove_stray(os, where);
}

enum lethe_err lt_objstore_recover(struct lt_objstore *os, lt_objstore_committed_fn committed,
				   void *ctx, size_t *removed)
{
	*removed = 0;
	return os->ops->recover(os, committed, ctx, removed);
}

enum lethe_err lt_objstore_leftovers(struct lt_objstore *os, size_t *count)
{
	*count = 0;
	return os->ops->leftovers(os, count);
}
