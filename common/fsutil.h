/*
 * fsutil.h - careful file I/O: full reads and writes, fsync of directories, private files,
 * files that take another's place only once complete.
 */
#ifndef LT_COMMON_FSUTIL_H
#define LT_COMMON_FSUTIL_H

#include <limits.h>
#include <stdbool.h>
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

/* Room for a user name or a uid in decimal. */
#define LT_USER_NAME_MAX 64

/* The name of user @p uid when it resolves (getpwuid_r), else the uid in decimal, in @p buf
 * (@p len bytes, at most LT_USER_NAME_MAX needed); returns @p buf. */
const char *lt_user_name(unsigned long uid, char *buf, size_t len);

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
 * Check a file or directory whose content decides what lethe does (the store's lethe.conf,
 * the store directory, objects/, tmp/): a regular file (@p dir false) or a directory, owned by
 * the running user and writable by nobody else (no group or world write bit), so that no other
 * account can change settings or swap files. A symbolic link is refused unless @p follow (the
 * store directory itself may be reached through one: whoever could repoint it owns its
 * parent). LETHE_ERR_PERMISSION names the path and the fix ("chmod go-w PATH", "chown NAME
 * PATH", NAME the running user's); missing: LETHE_ERR_NOT_FOUND.
 */
enum lethe_err lt_check_owned(const char *path, bool dir, bool follow);

/*
 * Open @p path (O_NOFOLLOW | O_CLOEXEC added to @p flags) and apply the checks of
 * lt_check_private_file() to the opened file, so nothing can be swapped between check and use.
 * @p fd_out receives the descriptor (-1 on failure). Same errors.
 */
enum lethe_err lt_open_private(const char *path, int flags, int *fd_out);

/*
 * The time the kernel's clock gives a new file in @p dir (an unnamed file, removed at once),
 * read back with the raw statx system call: a clock that an LD_PRELOAD library rewrites in
 * clock_gettime() does not reach it. Seconds since the epoch into *@p seconds.
 */
enum lethe_err lt_fs_clock(const char *dir, int64_t *seconds);

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

/*
 * A file written in place of @p path that takes its place only once complete (`lethe get -o`):
 * the bytes go to a file in the same directory that has no name until lt_outfile_commit()
 * (O_TMPFILE; on a file system without it, a 0600 temporary file ".NAME.lethe-XXXXXX"), which
 * fsyncs it, names it, renames it over @p path and fsyncs the directory. A reader never sees a
 * partial file under @p path, a failure before the rename leaves @p path as it was (one after
 * it, when the directory cannot be synced, removes @p path), and a process killed while
 * writing an unnamed file leaves nothing behind. Plaintext never goes into anything but that
 * new file: an existing FIFO, socket, device or symlink at @p path is refused.
 */
struct lt_outfile {
	int fd;             /* write the content here */
	bool named;         /* the temporary file has the name in tmp */
	char tmp[PATH_MAX]; /* "DIR/.NAME.lethe-XXXXXX" */
};

/*
 * Create the file that will replace @p path (mode 0600). LETHE_ERR_IO (or NOSPC, NOMEM) when
 * @p path is a directory, its directory cannot take a new file or the temporary name would be
 * too long; LETHE_ERR_INVALID when @p path ends in '/' or is a FIFO, socket, device or
 * symlink (not followed). Details start with @p path.
 */
enum lethe_err lt_outfile_open(const char *path, struct lt_outfile *out);

/*
 * Put the finished file in place of @p path: fsync, rename over @p path, fsync the directory.
 * Closes the file; on failure, removes the temporary one, and
 * @p path too when the rename was made but the directory could not be synced (the rename is
 * not known to be durable). Details start with @p path.
 */
enum lethe_err lt_outfile_commit(struct lt_outfile *out, const char *path);

/* Give up: close the file and remove the temporary one, leaving @p path as it was. */
void lt_outfile_abort(struct lt_outfile *out);

#endif
