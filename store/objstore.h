/* objstore.h - the object-store interface: where the ciphertext of objects lives. Put a stream,
 * get byte ranges, delete, list; and the recovery of puts that a crash interrupted.
 *
 * Design. A handle carries the table of operations of its backend (struct lt_objstore_ops),
 * chosen by lt_objstore_open(); the functions below dispatch through it. The default backend
 * keeps one file per object under the store directory (store/objstore_files.c, on top of
 * store/objfile.c). A second backend (S3, say) is one more table and one more case in
 * lt_objstore_open(): lib/, retention/ and keys/ call only what is declared here and never
 * see a path.
 *
 * What every backend guarantees:
 * - Objects are immutable and named by their id, a lowercase UUID (LETHE_ERR_INVALID for
 *   anything else: nothing else becomes a name). A committed put never replaces an object.
 * - Durability: an object is durable when lt_objstore_put_commit() returns; a delete is
 *   durable when lt_objstore_delete() or lt_objstore_delete_sync() returns.
 * - A put is invisible until committed, and announced while it runs (lt_objstore_put_pending),
 *   so that recovery in another process leaves a live put alone and finishes a dead one.
 * - Reads of a range release bytes as stored; their authenticity is crypt/'s business.
 * - Errors: LETHE_ERR_NOT_FOUND (no such object), LETHE_ERR_INTEGRITY (what is there is not an
 *   object: a symlink, a directory, a device), LETHE_ERR_EXISTS, LETHE_ERR_IO,
 *   LETHE_ERR_NOSPC, LETHE_ERR_PERMISSION, LETHE_ERR_INVALID (a malformed id), with a detail
 *   naming the object and where it is.
 */
#ifndef LT_STORE_OBJSTORE_H
#define LT_STORE_OBJSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bytesrc.h"
#include "include/lethe.h"

struct lt_objstore;
struct lt_objstore_put;

/* The object store of the store in @p store_dir (the default backend: its objects/ and tmp/
 * directories). Touches nothing: lt_objstore_prepare() creates what is missing. */
enum lethe_err lt_objstore_open(const char *store_dir, struct lt_objstore **out);
void lt_objstore_close(struct lt_objstore *os);

/* Create what the store needs that is missing (files: DIR/objects and DIR/tmp, 0700, durably);
 * what exists is left alone (doctor checks it). */
enum lethe_err lt_objstore_prepare(struct lt_objstore *os);

/* ---- put a stream ---- */

/*
 * Begin a put of object @p id: *fd receives a descriptor to write its bytes to, in order
 * (write(), no seeking: a backend may hand out a pipe). The put is announced from now on.
 */
enum lethe_err lt_objstore_put_begin(struct lt_objstore *os, const char *id,
				     struct lt_objstore_put **put, int *fd);

/*
 * Make what was written durable and visible as the object (LETHE_ERR_EXISTS: an object of that
 * id exists, and stays). The announcement stays until lt_objstore_put_end(): a crash between
 * this and the commit of the object's metadata leaves evidence for lt_objstore_recover().
 */
enum lethe_err lt_objstore_put_commit(struct lt_objstore_put *put);

/* End the put (NULL: nothing): the announcement goes and the descriptor is closed. Called once
 * the metadata committed, or after a failure (then a committed object is deleted first). Keeps
 * the error detail: it runs on failure paths. */
void lt_objstore_put_end(struct lt_objstore_put *put);

/* True while a put of @p id is announced: it runs, or its process died (recovery handles
 * that). An object with a put announced is not an orphan. */
bool lt_objstore_put_pending(struct lt_objstore *os, const char *id);

/* ---- get a range ---- */

/*
 * Open object @p id for ranged reads: *src reads any byte range of it and its size, from
 * several threads at once; lt_bytesrc_close() releases it. LETHE_ERR_NOT_FOUND ("object file
 * missing") is tampering if the object's metadata is live, the end of a race with a shred if
 * not: only the caller can tell.
 */
enum lethe_err lt_objstore_get(struct lt_objstore *os, const char *id, struct lt_bytesrc *src);

/* Where object @p id is or would be, for reports ("DIR/objects/ab/cd/<id>.lth"). */
enum lethe_err lt_objstore_where(struct lt_objstore *os, const char *id, char *where, size_t len);

/* Is object @p id there, as an object? LETHE_OK, LETHE_ERR_NOT_FOUND, LETHE_ERR_INTEGRITY (not
 * an object), else why it could not be looked at. Records no error detail. */
enum lethe_err lt_objstore_probe(struct lt_objstore *os, const char *id);

/* ---- delete ---- */

/* Delete object @p id (absent is fine) and make that durable. */
enum lethe_err lt_objstore_delete(struct lt_objstore *os, const char *id);

/*
 * Delete the @p n objects @p ids, several at a time, without waiting for durability
 * (lt_objstore_delete_sync). Every object is tried, whatever happens to the others: @p errs
 * receives 0 for each one that is gone (or was absent), else a code for
 * lt_objstore_delete_error(). Returns how many are gone. Records no error detail.
 */
size_t lt_objstore_delete_many(struct lt_objstore *os, const char (*ids)[LETHE_ID_LEN + 1],
			       size_t n, int *errs);

/* Record (and return) why deleting object @p id failed with @p err from delete_many. */
enum lethe_err lt_objstore_delete_error(struct lt_objstore *os, const char *id, int err);

/* Make every delete so far durable, a crashed process's included, in one step. */
enum lethe_err lt_objstore_delete_sync(struct lt_objstore *os);

/* ---- list ---- */

/* Each object (@p id, @p where it is), and each entry that is not an object (@p id NULL): a
 * stray for doctor to report or remove. Non-zero from @p fn stops. */
typedef int (*lt_objstore_fn)(const char *id, const char *where, void *ctx);
enum lethe_err lt_objstore_list(struct lt_objstore *os, lt_objstore_fn fn, void *ctx);

/* Remove a stray that lt_objstore_list() reported at @p where. */
enum lethe_err lt_objstore_remove_stray(struct lt_objstore *os, const char *where);

/* ---- recovery ---- */

/*
 * Finish the puts of processes that died: for each, @p committed(id) says whether the object's
 * metadata committed; if it did, only the announcement goes, if not the object goes too (its
 * key never existed). Puts still running are left alone. *removed counts the puts handled.
 */
typedef int (*lt_objstore_committed_fn)(const char *id, void *ctx);
enum lethe_err lt_objstore_recover(struct lt_objstore *os, lt_objstore_committed_fn committed,
				   void *ctx, size_t *removed);

/* How many dead puts and other leftovers recovery would remove (changes nothing). */
enum lethe_err lt_objstore_leftovers(struct lt_objstore *os, size_t *count);

/* ---- for backends ---- */

/* What a backend implements, one function per call above (same contracts). */
struct lt_objstore_ops {
	const char *name;
	void (*close)(struct lt_objstore *os);
	enum lethe_err (*prepare)(struct lt_objstore *os);
	enum lethe_err (*put_begin)(struct lt_objstore *os, const char *id,
				    struct lt_objstore_put **put, int *fd);
	enum lethe_err (*put_commit)(struct lt_objstore_put *put);
	void (*put_end)(struct lt_objstore_put *put);
	bool (*put_pending)(struct lt_objstore *os, const char *id);
	enum lethe_err (*get)(struct lt_objstore *os, const char *id, struct lt_bytesrc *src);
	enum lethe_err (*where)(struct lt_objstore *os, const char *id, char *where, size_t len);
	enum lethe_err (*probe)(struct lt_objstore *os, const char *id);
	enum lethe_err (*delete_one)(struct lt_objstore *os, const char *id);
	size_t (*delete_many)(struct lt_objstore *os, const char (*ids)[LETHE_ID_LEN + 1], size_t n,
			      int *errs);
	enum lethe_err (*delete_error)(struct lt_objstore *os, const char *id, int err);
	enum lethe_err (*delete_sync)(struct lt_objstore *os);
	enum lethe_err (*list)(struct lt_objstore *os, lt_objstore_fn fn, void *ctx);
	enum lethe_err (*remove_stray)(struct lt_objstore *os, const char *where);
	enum lethe_err (*recover)(struct lt_objstore *os, lt_objstore_committed_fn committed,
				  void *ctx, size_t *removed);
	enum lethe_err (*leftovers)(struct lt_objstore *os, size_t *count);
};

/* The first member of every backend's handle and put. */
struct lt_objstore {
	const struct lt_objstore_ops *ops;
};

struct lt_objstore_put {
	struct lt_objstore *os;
};

/* The default backend: files under @p store_dir (objstore_files.c). */
enum lethe_err lt_objstore_files_open(const char *store_dir, struct lt_objstore **out);

#endif
