/* fsutil.h - careful file I/O: full reads and writes, fsync of directories, private files. */
#ifndef LT_COMMON_FSUTIL_H
#define LT_COMMON_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "include/lethe.h"

/* write() all of @p len bytes, retrying on EINTR and short writes. */
enum lethe_err lt_write_all(int fd, const void *buf, size_t len);

/* read() until @p len bytes or end of file; *got receives the count. */
enum lethe_err lt_read_full(int fd, void *buf, size_t len, size_t *got);

/* pread() until @p len bytes or end of file. */
enum lethe_err lt_pread_full(int fd, void *buf, size_t len, uint64_t offset, size_t *got);

/* fsync the directory @p path (after a rename or unlink in it). */
enum lethe_err lt_fsync_dir(const char *path);

/*
 * Refuse a secret-holding file (keyfile, keystore, database) that is not a regular file owned
 * by the running user with mode 0600 or stricter: LETHE_ERR_PERMISSION, detail names the file
 * and the fix ("chmod 600 PATH"). A symbolic link is refused too (it could be repointed
 * between check and use). Missing: LETHE_ERR_NOT_FOUND.
 */
enum lethe_err lt_check_private_file(const char *path);

/*
 * Check a directory the store owns (objects/, tmp/): a directory, not a symbolic link, owned by
 * the running user, mode 0700 (the owner must be able to create and remove files in it, and
 * nobody else may list it). LETHE_ERR_PERMISSION names the directory and the fix ("chmod 700
 * PATH"); missing: LETHE_ERR_NOT_FOUND.
 */
enum lethe_err lt_check_private_dir(const char *path);

/*
 * Open @p path (O_NOFOLLOW | O_CLOEXEC added to @p flags) and apply the checks of
 * lt_check_private_file() to the opened file, so nothing can be swapped between check and use.
 * @p fd_out receives the descriptor (-1 on failure). Same errors.
 */
enum lethe_err lt_open_private(const char *path, int flags, int *fd_out);

/* The directory part of @p path ("." when it has none, "/" for "/x") into @p dir. */
enum lethe_err lt_parent_dir(const char *path, char *dir, size_t len);

/*
 * Create @p path holding @p len bytes, 0600 (less the umask), fsynced with its directory:
 * never over an existing file (LETHE_ERR_EXISTS "PATH already exists") nor through a symlink.
 * On a failure after the create nothing is left at @p path, and the detail names it.
 */
enum lethe_err lt_write_file_new(const char *path, const void *buf, size_t len);

/* Write @p len bytes to @p path atomically (tmp in the same dir, fsync, rename, fsync dir). */
enum lethe_err lt_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode);

/* Read a whole small file (at most @p max bytes) into a malloc'd, NUL-terminated buffer. */
enum lethe_err lt_read_file(const char *path, size_t max, char **buf, size_t *len);

/* mkdir -p with @p mode for created components. */
enum lethe_err lt_mkdir_p(const char *path, mode_t mode);

#endif
