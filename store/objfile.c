/* objfile.c - object files on disk: staged in DIR/tmp/<id>.tmp under an flock(), linked to
 * DIR/objects/ab/cd/<id>.lth, opened without following links, unlinked, scanned, recovered.
 *
 * Durability: a file's data is fsynced before it gets its name, every directory that gains or
 * loses a name is fsynced (and the parent of a fan-out directory when that is created), so an
 * object acknowledged by the caller is on disk with its name.
 *
 * The flock() on a staged file is held from its creation until lt_obj_tmp_release(): recovery
 * in another process only touches staged files whose lock it can take, i.e. whose writer died.
 */
#include "store/objfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/uuid.h"

#define OBJ_SUFFIX ".lth"
#define TMP_SUFFIX ".tmp"
/* An empty staged file younger than this may be between another process's open(O_CREAT) and
 * its flock(): recovery leaves it alone. */
#define TMP_GRACE_SECONDS 5

static enum lethe_err sys_fail(int errno_value, const char *path, const char *what)
{
	return lt_err_errno(lt_err_from_errno(errno_value), errno_value, "%s: %s", path, what);
}

/* snprintf into @p out, refusing to cut a path. */
static enum lethe_err path_fmt(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum lethe_err path_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= len)
		return lt_err(LETHE_ERR_INVALID, "path too long");
	return LETHE_OK;
}

enum lethe_err lt_obj_path(const char *store_dir, const char *id, char *out, size_t len)
{
	if (!lt_uuid_valid(id))
		return lt_err(LETHE_ERR_INVALID, "malformed object id");
	return path_fmt(out, len, "%s/objects/%.2s/%.2s/%s" OBJ_SUFFIX, store_dir, id, id + 2, id);
}

/* DIR/objects/ab or DIR/objects/ab/cd for @p id (@p levels 1 or 2). */
static enum lethe_err fanout_path(const char *store_dir, const char *id, int levels, char *out,
				  size_t len)
{
	if (levels == 1)
		return path_fmt(out, len, "%s/objects/%.2s", store_dir, id);
	return path_fmt(out, len, "%s/objects/%.2s/%.2s", store_dir, id, id + 2);
}

/* Object @p id's path and the directory that holds it (LT_PATH_MAX bytes each). */
static enum lethe_err object_paths(const char *store_dir, const char *id, char *path, char *dir)
{
	enum lethe_err rc = lt_obj_path(store_dir, id, path, LT_PATH_MAX);

	if (rc == LETHE_OK)
		rc = fanout_path(store_dir, id, 2, dir, LT_PATH_MAX);
	return rc;
}

/* fsync a directory that may not exist (nothing to make durable then). */
static enum lethe_err fsync_dir_if_present(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
		return LETHE_OK;
	return lt_fsync_dir(path);
}

/* ---------------------------------------------------------------------------------------- */
/* Staging and commit                                                                       */

static enum lethe_err flock_wait(int fd, const char *path)
{
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return sys_fail(errno, path, "flock");
	return LETHE_OK;
}

enum lethe_err lt_obj_tmp_create(const char *store_dir, const char *id, char *tmp_path, size_t len,
				 int *fd)
{
	struct stat st;
	enum lethe_err rc;
	int f;

	*fd = -1;
	if (!lt_uuid_valid(id))
		return lt_err(LETHE_ERR_INVALID, "malformed object id");
	rc = path_fmt(tmp_path, len, "%s/tmp/%s" TMP_SUFFIX, store_dir, id);
	if (rc != LETHE_OK)
		return rc;
	/* Recovery elsewhere may unlink the name between our open and our flock (if we stalled
	 * past the grace period): the lock would then be on a nameless inode. Start again. */
	for (int attempt = 0; attempt < 3; attempt++) {
		f = open(tmp_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f < 0) {
			if (errno == EEXIST)
				return lt_err(LETHE_ERR_EXISTS, "%s: staged file exists", tmp_path);
			return sys_fail(errno, tmp_path, "create");
		}
		rc = flock_wait(f, tmp_path);
		if (rc == LETHE_OK && fstat(f, &st) != 0)
			rc = sys_fail(errno, tmp_path, "fstat");
		if (rc != LETHE_OK) {
			(void) unlink(tmp_path);
			close(f);
			return rc;
		}
		if (st.st_nlink > 0) {
			*fd = f;
			return LETHE_OK;
		}
		close(f);
	}
	return lt_err(LETHE_ERR_IO, "%s: staged file removed by recovery three times", tmp_path);
}

/* mkdir @p dir 0700 whatever the umask (which could take the owner's write bit away); when it
 * is new, fsync @p parent so the new name survives a crash. */
static enum lethe_err mkdir_durable(const char *dir, const char *parent)
{
	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) != 0)
			return sys_fail(errno, dir, "chmod");
		return lt_fsync_dir(parent);
	}
	if (errno == EEXIST)
		return LETHE_OK; /* a non-directory here makes link() fail with ENOTDIR */
	return sys_fail(errno, dir, "mkdir");
}

enum lethe_err lt_obj_dirs_ensure(const char *store_dir)
{
	static const char *const names[] = {"objects", "tmp"};
	char path[LT_PATH_MAX];
	enum lethe_err rc;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rc = path_fmt(path, sizeof(path), "%s/%s", store_dir, names[i]);
		if (rc == LETHE_OK)
			rc = mkdir_durable(path, store_dir);
		if (rc != LETHE_OK)
			return rc;
	}
	return LETHE_OK;
}

static enum lethe_err make_fanout(const char *store_dir, const char *id)
{
	char objects[LT_PATH_MAX], level1[LT_PATH_MAX], level2[LT_PATH_MAX];
	enum lethe_err rc;

	rc = path_fmt(objects, sizeof(objects), "%s/objects", store_dir);
	if (rc == LETHE_OK)
		rc = fanout_path(store_dir, id, 1, level1, sizeof(level1));
	if (rc == LETHE_OK)
		rc = fanout_path(store_dir, id, 2, level2, sizeof(level2));
	if (rc == LETHE_OK)
		rc = mkdir_durable(level1, objects);
	if (rc == LETHE_OK)
		rc = mkdir_durable(level2, level1);
	return rc;
}

/* The new name must be the inode we wrote (and hold locked): nobody swapped the staged file. */
static enum lethe_err check_same_file(int fd, const char *path)
{
	struct stat mine, named;

	if (fstat(fd, &mine) != 0)
		return sys_fail(errno, path, "fstat");
	if (lstat(path, &named) != 0)
		return sys_fail(errno, path, "lstat");
	if (mine.st_dev != named.st_dev || mine.st_ino != named.st_ino)
		return lt_err(LETHE_ERR_INTEGRITY,
			      "%s: the staged file was replaced before it was "
			      "linked into place",
			      path);
	return LETHE_OK;
}

/*
 * The staged name is not fsynced in tmp/ on its own (that would be one more fsync per put):
 * on journaling file systems (ext4, XFS) metadata reaches the journal in order, so the fsync
 * of the object's directory after link() also makes the earlier creation in tmp/ durable, and
 * a crash before the row commits still leaves the intent record for lt_tmp_recover().
 */
enum lethe_err lt_obj_commit(const char *store_dir, const char *tmp_path, int fd, const char *id)
{
	char path[LT_PATH_MAX], dir[LT_PATH_MAX];
	enum lethe_err rc;

	rc = object_paths(store_dir, id, path, dir);
	if (rc != LETHE_OK)
		return rc;
	/* the data is durable before it has the object's name */
	if (fsync(fd) != 0)
		return sys_fail(errno, tmp_path, "fsync");
	rc = make_fanout(store_dir, id);
	if (rc != LETHE_OK)
		return rc;
	/* link() never replaces: an existing object (or a planted file) makes it fail */
	if (link(tmp_path, path) != 0) {
		if (errno == EEXIST)
			return lt_err(LETHE_ERR_EXISTS, "%s: object file already exists", path);
		return sys_fail(errno, path, "link");
	}
	rc = check_same_file(fd, path);
	if (rc == LETHE_OK)
		rc = lt_fsync_dir(dir);
	/* not committed: the caller owns no file under the object's name, leave none */
	if (rc != LETHE_OK)
		(void) unlink(path);
	return rc;
}

/* Unlink before close: while the name exists the lock is held, so recovery never sees an
 * unlocked staged file of a live put. Errors are ignored (recovery removes a leftover name)
 * and the error detail is left alone: this runs on failure paths. */
void lt_obj_tmp_release(const char *tmp_path, int fd)
{
	if (tmp_path && tmp_path[0])
		(void) unlink(tmp_path);
	if (fd >= 0)
		close(fd);
}

/* ---------------------------------------------------------------------------------------- */
/* Reading and removing objects                                                             */

static const char *file_type(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symlink";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

static enum lethe_err open_refused(const char *id, int errno_value, const char *path)
{
	/* whether that is tampering depends on the row, which the caller reads again */
	if (errno_value == ENOENT || errno_value == ENOTDIR)
		return lt_err(LETHE_ERR_NOT_FOUND, "object %s: object file missing", id);
	if (errno_value == ELOOP)
		return lt_err(LETHE_ERR_INTEGRITY, "object %s: object file is a symlink", id);
	return sys_fail(errno_value, path, "open");
}

/*
 * lstat first so that a FIFO or device planted under the object's name is never opened (that
 * could block or have side effects); O_NOFOLLOW and fstat then close the window between the
 * two.
 */
enum lethe_err lt_obj_open(const char *store_dir, const char *id, int *fd)
{
	char path[LT_PATH_MAX];
	struct stat st;
	enum lethe_err rc;
	int f;

	*fd = -1;
	rc = lt_obj_path(store_dir, id, path, sizeof(path));
	if (rc != LETHE_OK)
		return rc;
	if (lstat(path, &st) != 0)
		return open_refused(id, errno, path);
	if (!S_ISREG(st.st_mode))
		return lt_err(LETHE_ERR_INTEGRITY, "object %s: object file is %s", id,
			      file_type(st.st_mode));
	f = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f < 0)
		return open_refused(id, errno, path);
	if (fstat(f, &st) != 0) {
		rc = sys_fail(errno, path, "fstat");
	} else if (!S_ISREG(st.st_mode)) {
		rc = lt_err(LETHE_ERR_INTEGRITY, "object %s: object file is %s", id,
			    file_type(st.st_mode));
	} else if (fcntl(f, F_SETFL, 0) != 0) { /* drop O_NONBLOCK: plain blocking reads */
		rc = sys_fail(errno, path, "fcntl");
	}
	if (rc != LETHE_OK) {
		close(f);
		return rc;
	}
	*fd = f;
	return LETHE_OK;
}

/* An absent file is fine, but its directory is still fsynced: the unlink that removed it may
 * have been a crashed process's, not yet durable. */
enum lethe_err lt_obj_unlink(const char *store_dir, const char *id)
{
	char path[LT_PATH_MAX], dir[LT_PATH_MAX];
	enum lethe_err rc;

	rc = object_paths(store_dir, id, path, dir);
	if (rc != LETHE_OK)
		return rc;
	if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
		return sys_fail(errno, path, "unlink");
	return fsync_dir_if_present(dir);
}

int lt_obj_unlink_try(const char *store_dir, const char *id)
{
	char path[LT_PATH_MAX];

	if (!lt_uuid_valid(id))
		return EINVAL;
	if (snprintf(path, sizeof(path), "%s/objects/%.2s/%.2s/%s" OBJ_SUFFIX, store_dir, id,
		     id + 2, id) >= (int) sizeof(path))
		return ENAMETOOLONG;
	if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
		return errno;
	return 0;
}

enum lethe_err lt_obj_unlink_error(const char *store_dir, const char *id, int errno_value)
{
	char path[LT_PATH_MAX];

	if (lt_obj_path(store_dir, id, path, sizeof(path)) != LETHE_OK)
		return lt_err_errno(LETHE_ERR_INVALID, errno_value, "object %.40s: unlink", id);
	return sys_fail(errno_value, path, "unlink");
}

/* The unlinks of lt_obj_unlink_many(), shared by its threads. */
struct unlink_many {
	const char *store_dir;
	const char (*ids)[LETHE_ID_LEN + 1];
	int *errnos;
	size_t n;
	size_t next; /* next index to take */
	pthread_mutex_t lock;
};

static void *unlink_worker(void *arg)
{
	struct unlink_many *m = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&m->lock);
		i = m->next < m->n ? m->next++ : m->n;
		pthread_mutex_unlock(&m->lock);
		if (i >= m->n)
			return NULL;
		m->errnos[i] = lt_obj_unlink_try(m->store_dir, m->ids[i]);
	}
}

size_t lt_obj_unlink_many(const char *store_dir, const char (*ids)[LETHE_ID_LEN + 1], size_t n,
			  int *errnos)
{
	struct unlink_many m = {store_dir, ids, errnos, n, 0, PTHREAD_MUTEX_INITIALIZER};
	pthread_t threads[LT_OBJ_UNLINK_THREADS];
	size_t want = n / 4, started = 0, gone = 0, i;
	sigset_t all, old;

	if (want > LT_OBJ_UNLINK_THREADS)
		want = LT_OBJ_UNLINK_THREADS;
	/* signals belong to the caller's threads */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < want; i++)
		if (pthread_create(&threads[started], NULL, unlink_worker, &m) == 0)
			started++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	unlink_worker(&m); /* this thread too (alone when none could start) */
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&m.lock);
	for (i = 0; i < n; i++)
		gone += errnos[i] == 0;
	return gone;
}

enum lethe_err lt_obj_unlinks_sync(const char *store_dir)
{
	char dir[LT_PATH_MAX];
	enum lethe_err rc;
	int fd;

	rc = path_fmt(dir, sizeof(dir), "%s/objects", store_dir);
	if (rc != LETHE_OK)
		return rc;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sys_fail(errno, dir, "open");
	/* syncfs() reports writeback errors of the filesystem since Linux 5.8 */
	if (syncfs(fd) != 0)
		rc = sys_fail(errno, dir, "syncfs");
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Scan                                                                                     */

struct scan {
	const char *store_dir;
	lt_obj_fn fn;
	void *ctx;
	bool stop;
	char path[LT_PATH_MAX];
};

static bool hex2(const char *name)
{
	return strlen(name) == 2 && strspn(name, "0123456789abcdef") == 2;
}

/* "<uuid>.lth" whose first four hex digits match its directories @p fan (e.g. "abcd"). */
static bool object_name(const char *name, const char *fan, char id[LETHE_ID_LEN + 1])
{
	if (strlen(name) != LETHE_ID_LEN + strlen(OBJ_SUFFIX) ||
	    strcmp(name + LETHE_ID_LEN, OBJ_SUFFIX) != 0)
		return false;
	memcpy(id, name, LETHE_ID_LEN);
	id[LETHE_ID_LEN] = '\0';
	return lt_uuid_valid(id) && memcmp(id, fan, 4) == 0;
}

static bool is_type(int dfd, const struct dirent *e, mode_t type)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return (type == S_IFDIR && e->d_type == DT_DIR) ||
		       (type == S_IFREG && e->d_type == DT_REG);
	if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	return (st.st_mode & S_IFMT) == type;
}

static enum lethe_err scan_dir(struct scan *s, int dfd, int depth, const char *fan);

/* One entry of objects/ (depth 0), objects/ab/ (1) or objects/ab/cd/ (2). */
static enum lethe_err scan_entry(struct scan *s, int dfd, const struct dirent *e, int depth,
				 const char *fan)
{
	char id[LETHE_ID_LEN + 1], sub_fan[5];
	size_t base = strlen(s->path);
	enum lethe_err rc = LETHE_OK;
	int sub;

	if (path_fmt(s->path + base, sizeof(s->path) - base, "/%s", e->d_name) != LETHE_OK)
		return lt_err(LETHE_ERR_INVALID, "%s: path too long", s->path);
	if (depth < 2 && hex2(e->d_name) && is_type(dfd, e, S_IFDIR)) {
		/* hex2() checked the name: two characters after at most two of @p fan */
		memcpy(sub_fan, fan, strlen(fan));
		memcpy(sub_fan + strlen(fan), e->d_name, 3);
		sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			rc = sys_fail(errno, s->path, "open directory");
		else
			rc = scan_dir(s, sub, depth + 1, sub_fan); /* closes sub */
	} else if (depth == 2 && object_name(e->d_name, fan, id) && is_type(dfd, e, S_IFREG)) {
		s->stop = s->fn(id, s->path, s->ctx) != 0;
	} else {
		s->stop = s->fn(NULL, s->path, s->ctx) != 0; /* a stray: doctor decides */
	}
	s->path[base] = '\0';
	return rc;
}

/* Walk directory @p dfd (taken over and closed). */
static enum lethe_err scan_dir(struct scan *s, int dfd, int depth, const char *fan)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	enum lethe_err rc = LETHE_OK;

	if (!d) {
		close(dfd);
		return sys_fail(errno, s->path, "opendir");
	}
	while (rc == LETHE_OK && !s->stop) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			if (errno != 0)
				rc = sys_fail(errno, s->path, "readdir");
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = scan_entry(s, dirfd(d), e, depth, fan);
	}
	closedir(d);
	return rc;
}

enum lethe_err lt_obj_scan(const char *store_dir, lt_obj_fn fn, void *ctx)
{
	struct scan s = {.store_dir = store_dir, .fn = fn, .ctx = ctx};
	enum lethe_err rc;
	int dfd;

	rc = path_fmt(s.path, sizeof(s.path), "%s/objects", store_dir);
	if (rc != LETHE_OK)
		return rc;
	dfd = open(s.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return sys_fail(errno, s.path, "open directory");
	return scan_dir(&s, dfd, 0, "");
}

/* ---------------------------------------------------------------------------------------- */
/* Recovery of staged files                                                                 */

/* A staged file recovery may act on: open, regular, its lock free, and not possibly a put
 * between open and flock. */
struct leftover {
	int fd; /* holds the lock; -1 when not a leftover */
	struct stat st;
};

static bool young_and_empty(const struct stat *st)
{
	time_t now = time(NULL);

	return st->st_size == 0 && st->st_ctime > now - TMP_GRACE_SECONDS;
}

/* Open @p name in tmp/ and take its lock if it is a leftover; l->fd is -1 otherwise. */
static enum lethe_err leftover_probe(int dfd, const char *dir, const char *name, struct leftover *l)
{
	int fd;

	l->fd = -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		/* Gone meanwhile; a symlink, socket or someone else's file: not a staged file of
		 * ours. Leave it to doctor rather than make every open of the store fail. */
		if (errno == ENOENT || errno == ELOOP || errno == ENXIO || errno == EACCES ||
		    errno == EPERM)
			return LETHE_OK;
		return lt_err_errno(lt_err_from_errno(errno), errno, "%s/%s: open", dir, name);
	}
	if (fstat(fd, &l->st) != 0 || !S_ISREG(l->st.st_mode) ||
	    flock(fd, LOCK_EX | LOCK_NB) != 0 || young_and_empty(&l->st)) {
		close(fd);
		return LETHE_OK;
	}
	l->fd = fd;
	return LETHE_OK;
}

/* The name still refers to the inode we locked (another recovery may have replaced it). */
static bool still_named(int dfd, const char *name, const struct stat *locked)
{
	struct stat now;

	return fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == locked->st_dev &&
	       now.st_ino == locked->st_ino;
}

/* "<uuid>.tmp" -> the id. */
static bool staged_id(const char *name, char id[LETHE_ID_LEN + 1])
{
	if (strlen(name) != LETHE_ID_LEN + strlen(TMP_SUFFIX) ||
	    strcmp(name + LETHE_ID_LEN, TMP_SUFFIX) != 0)
		return false;
	memcpy(id, name, LETHE_ID_LEN);
	id[LETHE_ID_LEN] = '\0';
	return lt_uuid_valid(id);
}

/* The put died before its row committed: its object file (the same inode only) goes too. */
static enum lethe_err remove_uncommitted(const char *store_dir, const char *id,
					 const struct stat *staged)
{
	char path[LT_PATH_MAX], dir[LT_PATH_MAX];
	struct stat st;
	enum lethe_err rc;

	rc = object_paths(store_dir, id, path, dir);
	if (rc != LETHE_OK)
		return rc;
	if (lstat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? LETHE_OK
							   : sys_fail(errno, path, "lstat");
	if (st.st_dev != staged->st_dev || st.st_ino != staged->st_ino)
		return LETHE_OK;
	if (unlink(path) != 0 && errno != ENOENT)
		return sys_fail(errno, path, "unlink");
	return lt_fsync_dir(dir);
}

struct recover {
	const char *store_dir;
	lt_obj_committed_fn committed;
	void *ctx;
	char dir[LT_PATH_MAX];
	size_t count;
};

/* The object file goes before the staged name: a crash in between leaves the intent record
 * for the next recovery. */
static enum lethe_err recover_one(struct recover *r, int dfd, const char *name)
{
	char id[LETHE_ID_LEN + 1];
	struct leftover l;
	enum lethe_err rc;

	rc = leftover_probe(dfd, r->dir, name, &l);
	if (rc != LETHE_OK || l.fd < 0)
		return rc;
	if (!still_named(dfd, name, &l.st))
		goto out;
	if (staged_id(name, id) && !r->committed(id, r->ctx))
		rc = remove_uncommitted(r->store_dir, id, &l.st);
	if (rc == LETHE_OK && unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
		rc = lt_err_errno(lt_err_from_errno(errno), errno, "%s/%s: unlink", r->dir, name);
	if (rc == LETHE_OK)
		r->count++;
out:
	close(l.fd);
	return rc;
}

/* Call @p fn for each entry of DIR/tmp; a missing tmp/ has nothing in it. */
static enum lethe_err tmp_walk(const char *store_dir, char *dir, size_t len,
			       enum lethe_err (*fn)(void *arg, int dfd, const char *name),
			       void *arg)
{
	struct dirent *e;
	enum lethe_err rc;
	DIR *d;
	int dfd;

	rc = path_fmt(dir, len, "%s/tmp", store_dir);
	if (rc != LETHE_OK)
		return rc;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? LETHE_OK : sys_fail(errno, dir, "open directory");
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return sys_fail(errno, dir, "opendir");
	}
	while (rc == LETHE_OK) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			if (errno != 0)
				rc = sys_fail(errno, dir, "readdir");
			break;
		}
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			rc = fn(arg, dirfd(d), e->d_name);
	}
	closedir(d);
	return rc;
}

static enum lethe_err recover_entry(void *arg, int dfd, const char *name)
{
	return recover_one(arg, dfd, name);
}

enum lethe_err lt_tmp_recover(const char *store_dir, lt_obj_committed_fn committed, void *ctx,
			      size_t *removed)
{
	struct recover r = {.store_dir = store_dir, .committed = committed, .ctx = ctx};
	enum lethe_err rc;

	*removed = 0;
	rc = tmp_walk(store_dir, r.dir, sizeof(r.dir), recover_entry, &r);
	/* the removals are durable before the store is reported clean */
	if (rc == LETHE_OK && r.count > 0)
		rc = lt_fsync_dir(r.dir);
	*removed = r.count;
	return rc;
}

bool lt_obj_staged(const char *store_dir, const char *id)
{
	char path[LT_PATH_MAX];
	struct stat st;

	if (!lt_uuid_valid(id) ||
	    path_fmt(path, sizeof(path), "%s/tmp/%s" TMP_SUFFIX, store_dir, id) != LETHE_OK)
		return false;
	return lstat(path, &st) == 0;
}

struct count {
	char dir[LT_PATH_MAX];
	size_t n;
};

static enum lethe_err count_entry(void *arg, int dfd, const char *name)
{
	struct count *c = arg;
	struct leftover l;
	enum lethe_err rc;

	rc = leftover_probe(dfd, c->dir, name, &l);
	if (rc == LETHE_OK && l.fd >= 0) {
		c->n++;
		close(l.fd); /* releases the lock at once: nothing changed */
	}
	return rc;
}

enum lethe_err lt_tmp_leftovers(const char *store_dir, size_t *count)
{
	struct count c = {.n = 0};
	enum lethe_err rc;

	*count = 0;
	rc = tmp_walk(store_dir, c.dir, sizeof(c.dir), count_entry, &c);
	*count = c.n;
	return rc;
}
