/* objfile.h - object files on disk: DIR/objects/ab/cd/<id>.lth, staged in DIR/tmp/. */
#ifndef LT_STORE_OBJFILE_H
#define LT_STORE_OBJFILE_H

#include <stddef.h>

#include "include/lethe.h"

#define LT_PATH_MAX 4096

/* DIR/objects/<id[0..1]>/<id[2..3]>/<id>.lth */
enum lethe_err lt_obj_path(const char *store_dir, const char *id, char *out, size_t len);

/* Create DIR/tmp/<random>.tmp (O_EXCL, 0600) for writing and hold an exclusive flock() on it
 * while it is open, so recovery in another process knows it is in use; *fd and @p tmp_path
 * receive it. */
enum lethe_err lt_obj_tmp_create(const char *store_dir, char *tmp_path, size_t len, int *fd);

/*
 * Make a staged file the object @p id: fsync @p fd, create the fan-out directories (fsyncing
 * their parents), rename into place (refusing to replace an existing file), fsync the directory.
 * Does not close @p fd.
 */
enum lethe_err lt_obj_commit(const char *store_dir, const char *tmp_path, int fd,
			     const char *id);

/*
 * Open object @p id for reading: O_RDONLY|O_NOFOLLOW|O_CLOEXEC; a symlink, directory or other
 * non-regular file is LETHE_ERR_INTEGRITY ("object file replaced by a directory"), a missing
 * one LETHE_ERR_INTEGRITY too ("object file missing": its row says it exists).
 */
enum lethe_err lt_obj_open(const char *store_dir, const char *id, int *fd);

/* Unlink object @p id's file (absent is fine) and fsync its directory. */
enum lethe_err lt_obj_unlink(const char *store_dir, const char *id);

/* Each file under objects/ named like an object (fn gets the id and the path); files that are
 * not named like objects are reported with id NULL. Return non-zero from fn to stop. */
typedef int (*lt_obj_fn)(const char *id, const char *path, void *ctx);
enum lethe_err lt_obj_scan(const char *store_dir, lt_obj_fn fn, void *ctx);

/* Remove the files in DIR/tmp whose flock() can be taken (staged writes of processes that
 * died; a put in progress elsewhere holds its lock and is left alone); *removed the count. */
enum lethe_err lt_tmp_clean(const char *store_dir, size_t *removed);

#endif
