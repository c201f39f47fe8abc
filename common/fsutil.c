/* fsutil.c - careful file I/O: full reads and writes, directory fsync, private-file checks,
 * files that take another's place only once complete.
 *
 * Errors name the failing system call; callers add the file name with lt_err_prefix() when
 * they know it and these functions do not.
 */
#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"

static enum lethe_err errno_fail(int errno_value, const char *what)
{
	return lt_err_errno(lt_err_from_errno(errno_value), errno_value, "%s", what);
}

/*
 * Writing to a pipe or socket whose reader has gone raises SIGPIPE, which kills a process that
 * has not ignored it, and a library must neither kill its host nor change its signal
 * dispositions. So: sockets are written with send(MSG_NOSIGNAL); for pipes, FIFOs and anything
 * else that is not a plain file, SIGPIPE is blocked in this thread around the writes and a
 * SIGPIPE they raise is consumed before the mask is restored (the technique of libpq and
 * OpenSSL's s_client), leaving EPIPE for the caller. A SIGPIPE that was already pending for
 * the host is left pending.
 */
struct sigpipe_guard {
	bool is_socket;
	bool blocked;
	bool was_pending;
	sigset_t old_mask;
};

static void sigpipe_guard_begin(int fd, struct sigpipe_guard *g)
{
	struct stat st;
	sigset_t pipe_set, pending;

	memset(g, 0, sizeof(*g));
	if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return;
	if (S_ISSOCK(st.st_mode)) {
		g->is_socket = true;
		return;
	}
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &pipe_set, &g->old_mask) != 0)
		return;
	g->blocked = true;
	g->was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
}

static void sigpipe_guard_end(struct sigpipe_guard *g, bool got_epipe)
{
	static const struct timespec no_wait = {0, 0};
	sigset_t pipe_set;

	if (!g->blocked)
		return;
	if (got_epipe && !g->was_pending) {
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		while (sigtimedwait(&pipe_set, NULL, &no_wait) < 0 && errno == EINTR)
			;
	}
	(void) pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
}

enum lethe_err lt_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	struct sigpipe_guard guard;
	enum lethe_err rc = LETHE_OK;
	int saved;

	sigpipe_guard_begin(fd, &guard);
	while (len > 0) {
		ssize_t n = guard.is_socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			sigpipe_guard_end(&guard, saved == EPIPE);
			return errno_fail(saved, "write");
		}
		/* write() returning 0 for a non-zero length never ends by itself. */
		if (n == 0) {
			rc = lt_err(LETHE_ERR_IO, "write: no progress");
			break;
		}
		p += n;
		len -= (size_t) n;
	}
	sigpipe_guard_end(&guard, false);
	return rc;
}

/* Read until @p len bytes or the end of the file: at @p offset with pread(), or from the file
 * position with read() when @p offset is negative. */
static enum lethe_err read_full(int fd, void *buf, size_t len, int64_t offset, size_t *got)
{
	unsigned char *p = buf;
	size_t done = 0;

	*got = 0;
	while (done < len) {
		ssize_t n = offset < 0
				? read(fd, p + done, len - done)
				: pread(fd, p + done, len - done, (off_t) offset + (off_t) done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno_fail(errno, offset < 0 ? "read" : "pread");
		}
		if (n == 0)
			break;
		done += (size_t) n;
	}
	*got = done;
	return LETHE_OK;
}

enum lethe_err lt_read_full(int fd, void *buf, size_t len, size_t *got)
{
	return read_full(fd, buf, len, -1, got);
}

enum lethe_err lt_pread_full(int fd, void *buf, size_t len, uint64_t offset, size_t *got)
{
	*got = 0;
	if (offset > (uint64_t) INT64_MAX || len > (uint64_t) INT64_MAX - offset)
		return lt_err(LETHE_ERR_INVALID, "pread: offset %llu out of range",
			      (unsigned long long) offset);
	return read_full(fd, buf, len, (int64_t) offset, got);
}

enum lethe_err lt_fsync_dir(const char *path)
{
	enum lethe_err rc = LETHE_OK;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s: open directory", path);
	/* Some file systems cannot sync a directory (EINVAL): nothing more can be done there. */
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = lt_err_errno(lt_err_from_errno(errno), errno, "%s: fsync directory", path);
	close(fd);
	return rc;
}

/* @p path is owned by @p uid, not by @p whom (the effective uid@p why): the refusal, with the
 * fix. */
static enum lethe_err not_owned(const char *path, uid_t uid, const char *whom, const char *why)
{
	return lt_err(LETHE_ERR_PERMISSION,
		      "%s is owned by uid %lu, not by %s (uid %lu%s); fix: chown %lu %s", path,
		      (unsigned long) uid, whom, (unsigned long) geteuid(), why,
		      (unsigned long) geteuid(), path);
}

/* The checks of lt_check_private_file() on a stat result; @p path only names the file. */
static enum lethe_err check_private_stat(const char *path, const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return lt_err(LETHE_ERR_PERMISSION,
			      "%s is a symbolic link; point the configuration at the file itself",
			      path);
	if (!S_ISREG(st->st_mode))
		return lt_err(LETHE_ERR_PERMISSION, "%s is not a regular file", path);
	if (st->st_uid != geteuid())
		return not_owned(path, st->st_uid, "the running user", "");
	if ((st->st_mode & 077) != 0)
		return lt_err(LETHE_ERR_PERMISSION,
			      "%s has mode %04o: group or others can access it; fix: chmod 600 %s",
			      path, (unsigned) (st->st_mode & 07777), path);
	return LETHE_OK;
}

/* Why @p path could not be opened or looked at: missing, not ours to read, or an I/O error. */
static enum lethe_err path_error(const char *path, int errno_value)
{
	if (errno_value == ENOENT || errno_value == ENOTDIR)
		return lt_err(LETHE_ERR_NOT_FOUND, "%s does not exist", path);
	if (errno_value == EACCES)
		return lt_err_errno(LETHE_ERR_PERMISSION, errno_value, "%s", path);
	return lt_err_errno(LETHE_ERR_IO, errno_value, "%s", path);
}

enum lethe_err lt_check_private_file(const char *path)
{
	struct stat st;

	/* lstat: a symlink could be swapped to point elsewhere between check and use. */
	if (lstat(path, &st) != 0)
		return path_error(path, errno);
	return check_private_stat(path, &st);
}

enum lethe_err lt_check_private_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return path_error(path, errno);
	if (!S_ISDIR(st.st_mode))
		return lt_err(LETHE_ERR_PERMISSION, "%s is not a directory", path);
	if (st.st_uid != geteuid())
		return not_owned(path, st.st_uid, "the running user", "");
	if ((st.st_mode & 0777) != 0700)
		return lt_err(LETHE_ERR_PERMISSION, "%s has mode %04o, not 0700; fix: chmod 700 %s",
			      path, (unsigned) (st.st_mode & 07777), path);
	return LETHE_OK;
}

enum lethe_err lt_check_owned(const char *path, bool dir, bool follow)
{
	struct stat st;
	int r = follow ? stat(path, &st) : lstat(path, &st);

	if (r != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return lt_err(LETHE_ERR_NOT_FOUND, "%s does not exist", path);
		if (errno == EACCES)
			return lt_err_errno(LETHE_ERR_PERMISSION, errno, "%s", path);
		return lt_err_errno(LETHE_ERR_IO, errno, "%s", path);
	}
	if (S_ISLNK(st.st_mode))
		return lt_err(LETHE_ERR_PERMISSION,
			      "%s is a symbolic link; lethe uses the %s itself", path,
			      dir ? "directory" : "file");
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return lt_err(LETHE_ERR_PERMISSION, "%s is not a %s", path,
			      dir ? "directory" : "regular file");
	if (st.st_uid != geteuid())
		return not_owned(path, st.st_uid, "the store's owner", ", running lethe");
	if ((st.st_mode & 022) != 0)
		return lt_err(
		    LETHE_ERR_PERMISSION,
		    "%s has mode %04o: group or others can write to it; fix: chmod go-w %s", path,
		    (unsigned) (st.st_mode & 07777), path);
	return LETHE_OK;
}

enum lethe_err lt_open_private(const char *path, int flags, int *fd_out)
{
	enum lethe_err rc;
	struct stat st;
	int fd;

	*fd_out = -1;
	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ELOOP)
			return lt_err(LETHE_ERR_PERMISSION,
				      "%s is a symbolic link; point the configuration at the "
				      "file itself",
				      path);
		return path_error(path, errno);
	}
	if (fstat(fd, &st) != 0) {
		rc = lt_err_errno(LETHE_ERR_IO, errno, "%s: fstat", path);
		goto out;
	}
	rc = check_private_stat(path, &st);
out:
	if (rc != LETHE_OK)
		close(fd);
	else
		*fd_out = fd;
	return rc;
}

enum lethe_err lt_fs_clock(const char *dir, int64_t *seconds)
{
	char path[PATH_MAX];
	struct stat st;
	enum lethe_err rc = LETHE_OK;
	int fd;

	*seconds = 0;
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* a file system without O_TMPFILE: a named file, unlinked at once */
		if ((size_t) snprintf(path, sizeof(path), "%s/.clock.XXXXXX", dir) >= sizeof(path))
			return lt_err(LETHE_ERR_INVALID, "%s: path too long", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			(void) unlink(path);
	}
	if (fd < 0)
		return lt_err_errno(lt_err_from_errno(errno), errno,
				    "%s: cannot create a file to read the kernel's clock", dir);
#ifdef SYS_statx
	{
		struct statx stx;

		if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_MTIME, &stx) == 0) {
			*seconds = stx.stx_mtime.tv_sec;
			goto out;
		}
		if (errno != ENOSYS) {
			rc = lt_err_errno(LETHE_ERR_IO, errno, "%s: statx", dir);
			goto out;
		}
	}
#endif
	if (fstat(fd, &st) != 0)
		rc = lt_err_errno(LETHE_ERR_IO, errno, "%s: fstat", dir);
	else
		*seconds = st.st_mtime;
out:
	close(fd);
	return rc;
}

enum lethe_err lt_parent_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash) {
		n = 1;
		path = ".";
	} else if (slash == path) {
		n = 1; /* "/file" lives in "/" */
	} else {
		n = (size_t) (slash - path);
	}
	if (n + 1 > len)
		return lt_err(LETHE_ERR_INVALID, "%s: path too long", path);
	memcpy(dir, path, n);
	dir[n] = '\0';
	return LETHE_OK;
}

/* Write, fsync and close @p fd; on failure the caller unlinks the temporary file. */
/* Write @p buf to @p fd (given @p mode first, unless 0) and fsync; @p fd is closed. */
static enum lethe_err write_sync_close(int fd, const void *buf, size_t len, mode_t mode)
{
	enum lethe_err rc = LETHE_OK;

	/* Set the wanted mode before any content lands in the file. */
	if (mode != 0 && fchmod(fd, mode) != 0)
		rc = errno_fail(errno, "fchmod");
	if (rc == LETHE_OK)
		rc = lt_write_all(fd, buf, len);
	if (rc == LETHE_OK && fsync(fd) != 0)
		rc = errno_fail(errno, "fsync");
	if (close(fd) != 0 && rc == LETHE_OK)
		rc = errno_fail(errno, "close");
	return rc;
}

/*
 * The end of making @p path (in directory @p dir) durable: after @p rc (the steps so far), the
 * directory is synced; on any failure the file is removed, so that nothing lethe cannot vouch
 * for stays under its name, and the detail names @p path.
 */
static enum lethe_err sync_dir_or_remove(const char *path, const char *dir, enum lethe_err rc)
{
	if (rc == LETHE_OK)
		rc = lt_fsync_dir(dir);
	if (rc != LETHE_OK) {
		lt_err_prefix("%s", path);
		(void) unlink(path);
	}
	return rc;
}

enum lethe_err lt_write_file_new(const char *path, const void *buf, size_t len)
{
	char dir[PATH_MAX];
	enum lethe_err rc;
	int fd;

	rc = lt_parent_dir(path, dir, sizeof(dir));
	if (rc != LETHE_OK)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return lt_err(LETHE_ERR_EXISTS, "%s already exists", path);
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s: create", path);
	}
	/* We created it: leave nothing half-written to be trusted later. */
	return sync_dir_or_remove(path, dir, write_sync_close(fd, buf, len, 0));
}

enum lethe_err lt_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	char dir[PATH_MAX];
	char tmp[PATH_MAX];
	enum lethe_err rc;
	int fd;

	rc = lt_parent_dir(path, dir, sizeof(dir));
	if (rc != LETHE_OK)
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int) sizeof(tmp))
		return lt_err(LETHE_ERR_INVALID, "%s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s: create", tmp);
	rc = write_sync_close(fd, buf, len, mode);
	if (rc != LETHE_OK)
		goto fail;
	if (rename(tmp, path) != 0) {
		rc = lt_err_errno(lt_err_from_errno(errno), errno, "%s: rename", path);
		goto fail;
	}
	rc = lt_fsync_dir(dir);
	return rc;
fail:
	lt_err_prefix("%s", path);
	(void) unlink(tmp);
	return rc;
}

enum lethe_err lt_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	enum lethe_err rc;
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	if (max >= SIZE_MAX - 1)
		return lt_err(LETHE_ERR_INVALID, "%s: read limit too large", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return path_error(path, errno);
	if (fstat(fd, &st) != 0) {
		rc = lt_err_errno(LETHE_ERR_IO, errno, "%s: fstat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = lt_err(LETHE_ERR_INVALID, "%s is not a regular file", path);
		goto out;
	}
	/* Read one byte past the limit: the size from fstat may change under us. */
	data = malloc(max + 2);
	if (!data) {
		rc = lt_err(LETHE_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	rc = lt_read_full(fd, data, max + 1, &got);
	if (rc != LETHE_OK) {
		lt_err_prefix("%s", path);
		goto out;
	}
	if (got > max) {
		rc = lt_err(LETHE_ERR_INVALID, "%s is larger than %zu bytes", path, max);
		goto out;
	}
	data[got] = '\0';
	*buf = data;
	*len = got;
	data = NULL;
out:
	free(data);
	close(fd);
	return rc;
}

enum lethe_err lt_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return lt_err(LETHE_ERR_INVALID, "mkdir: bad path length");
	memcpy(buf, path, n + 1);
	/* Create each prefix ending before a '/', then the whole path. */
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];

		buf[i] = '\0';
		if (mkdir(buf, mode) != 0) {
			if (errno != EEXIST)
				return lt_err_errno(lt_err_from_errno(errno), errno, "%s: mkdir",
						    buf);
			if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
				return lt_err(LETHE_ERR_IO, "%s exists and is not a directory",
					      buf);
		}
		buf[i] = saved;
	}
	return LETHE_OK;
}

/* Whether directory @p dir takes a file named @p name (its file system's NAME_MAX). */
static bool temp_name_fits(const char *dir, const char *name)
{
	long name_max = pathconf(dir, _PC_NAME_MAX);

	return strlen(name) <= (size_t) (name_max > 0 ? name_max : NAME_MAX);
}

static const char *file_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "symbolic link";
	if (S_ISFIFO(mode))
		return "FIFO";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "device";
	return "special file";
}

enum lethe_err lt_outfile_open(const char *path, struct lt_outfile *out)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int dir_len = slash ? (int) (slash - path) + 1 : 0;
	char dir[PATH_MAX];
	struct stat st;
	/* lstat: a symlink at the target is itself what is refused, never followed */
	bool exists = lstat(path, &st) == 0;

	out->fd = -1;
	out->named = false;
	out->tmp[0] = '\0';
	if (!*base)
		return lt_err(LETHE_ERR_INVALID, "%s: not a file name", path);
	if (exists && S_ISDIR(st.st_mode))
		return errno_fail(EISDIR, path);
	/*
	 * Plaintext goes only into a file created here. Whoever can plant a FIFO, a socket, a
	 * device or a symlink where the output is to go (a shared /tmp) would otherwise be handed
	 * the plaintext, or have it written through the link over a file of their choosing.
	 */
	if (exists && !S_ISREG(st.st_mode))
		return lt_err(LETHE_ERR_INVALID,
			      "%s: is a %s, not a regular file: -o writes only a new file or "
			      "replaces a regular one (stream to stdout instead)",
			      path, file_kind(st.st_mode));
	if (snprintf(out->tmp, sizeof(out->tmp), "%.*s.%s.lethe-XXXXXX", dir_len, path, base) >=
	    (int) sizeof(out->tmp))
		return errno_fail(ENAMETOOLONG, path);
	/*
	 * No name while it is written, so a killed process leaves nothing. Naming it afterwards
	 * takes linkat() through /proc (AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH): without
	 * /proc, where the file system has no O_TMPFILE, or when the temporary name would be too
	 * long (mkostemp() then says so before anything is read), it is named at once.
	 */
	if (lt_parent_dir(path, dir, sizeof(dir)) == LETHE_OK &&
	    access("/proc/self/fd", X_OK) == 0 && temp_name_fits(dir, out->tmp + dir_len))
		out->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (out->fd >= 0)
		return LETHE_OK;
	/* mkostemp: O_EXCL, mode 0600 (plaintext is as private as the keys that guard it) */
	out->fd = mkostemp(out->tmp, O_CLOEXEC);
	if (out->fd < 0)
		return lt_err_errno(lt_err_from_errno(errno), errno,
				    "%s: cannot create a temporary file", path);
	out->named = true;
	return LETHE_OK;
}

/* Replace the trailing XXXXXX of @p name with letters and digits: a fresh name, not a secret. */
static void random_suffix(char *name, unsigned attempt)
{
	static const char chars[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char bytes[6];
	char *x = name + strlen(name) - sizeof(bytes);
	struct timespec now;

	if (getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != (ssize_t) sizeof(bytes)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] =
			    (unsigned char) (((unsigned long) now.tv_nsec >> (5 * i)) + attempt);
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		x[i] = chars[bytes[i] % (sizeof(chars) - 1)];
}

/* Give the unnamed file a temporary name beside its target. 0, or -1 with errno set. */
static int outfile_link(struct lt_outfile *out)
{
	char proc[32];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", out->fd);
	for (unsigned attempt = 0; attempt < 100; attempt++) {
		random_suffix(out->tmp, attempt);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, out->tmp, AT_SYMLINK_FOLLOW) == 0) {
			out->named = true;
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

enum lethe_err lt_outfile_commit(struct lt_outfile *out, const char *path)
{
	char dir[PATH_MAX];
	enum lethe_err rc = LETHE_OK;

	if (fsync(out->fd) != 0 || (!out->named && outfile_link(out) != 0))
		rc = errno_fail(errno, path);
	if (close(out->fd) != 0 && rc == LETHE_OK)
		rc = errno_fail(errno, path);
	out->fd = -1;
	/* rename() replaces whatever holds the name by then, a symlink too, without following it */
	if (rc == LETHE_OK && rename(out->tmp, path) != 0)
		rc = errno_fail(errno, path);
	if (rc != LETHE_OK) {
		lt_outfile_abort(out);
		return rc;
	}
	out->named = false; /* the name is @p path's now */
	/* the rename is not known to be durable: a failed get leaves no file */
	return sync_dir_or_remove(path, dir, lt_parent_dir(path, dir, sizeof(dir)));
}

void lt_outfile_abort(struct lt_outfile *out)
{
	if (out->fd >= 0)
		(void) close(out->fd);
	if (out->named)
		(void) unlink(out->tmp);
	out->fd = -1;
	out->named = false;
}
