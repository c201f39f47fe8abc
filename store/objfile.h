/* objfile.h - object files on disk: DIR/objects/ab/cd/<id>.lth, staged in DIR/tmp/. */
#ifndef LT_STORE_OBJFILE_H
#define LT_STORE_OBJFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "include/lethe.h"

#define LT_PATH_MAX 4096

/*
 * Create the directories the store owns, DIR/objects and DIR/tmp, where they are missing (a
 * restore from a backup that left tmp/ out, as it should), mode 0700 whatever the umask, and
 * make the new names durable. Existing ones are left as they are: lethe_doctor() checks them.
 */
enum lethe_err lt_obj_dirs_ensure(const char *store_dir);

/* True for a 36-character lowercase UUID ("3f1c...-...."): the only names that become paths. */
bool lt_obj_id_valid(const char *id);

/* DIR/objects/<id[0..1]>/<id[2..3]>/<id>.lth */
enum lethe_err lt_obj_path(const char *store_dir, const char *id, char *out, size_t len);

/*
 * Stage object @p id: create DIR/tmp/<id>.tmp (O_EXCL, 0600) for writing and hold an exclusive
 * flock() on it while it is open, so recovery in another process knows it is in use; *fd and
 * @p tmp_path receive it. (Interface change by the lead: staged files are named by object id.)
 */
enum lethe_err lt_obj_tmp_create(const char *store_dir, const char *id, char *tmp_path, size_t len,
				 int *fd);

/*
 * Give a staged file its place as object @p id: fsync @p fd, create the fan-out directories
 * (fsyncing their parents), link() it to DIR/objects/ab/cd/<id>.lth (EEXIST refuses to replace
 * an object), fsync that directory. The staged name stays, locked, until lt_obj_tmp_release():
 * it is the put's intent record, so a crash between this link and the row's commit leaves
 * evidence that recovery can act on without scanning objects/.
 */
enum lethe_err lt_obj_commit(const char *store_dir, const char *tmp_path, int fd, const char *id);

/* Unlink the staged name and close (releasing the lock). Called after the row committed, or
 * after a failure (then also lt_obj_unlink). */
void lt_obj_tmp_release(const char *tmp_path, int fd);

/*
 * Recovery of staged files left by processes that died (their flock can be taken; a put in
 * progress elsewhere is left alone). For each DIR/tmp/<id>.tmp, @p committed(id) says whether
 * the object's row exists: if it does, only the staged name goes; if not, the object file
 * linked from it (same inode only) goes too: its key never existed. Other files in tmp/ whose
 * lock can be taken are removed. A file is only touched when its lock can be taken AND it is
 * non-empty or older than 5 s: between another process's open(O_CREAT) and its flock() the
 * file is unlocked but empty and young. *removed counts the staged files handled.
 */
typedef int (*lt_obj_committed_fn)(const char *id, void *ctx);
enum lethe_err lt_tmp_recover(const char *store_dir, lt_obj_committed_fn committed, void *ctx,
			      size_t *removed);

/* True when object @p id has a staged file, DIR/tmp/<id>.tmp: a put of it is in progress (or
 * died, which lt_tmp_recover() handles), so its object file is not an orphan. */
bool lt_obj_staged(const char *store_dir, const char *id);

/* Count (without changing anything) the files in DIR/tmp whose lock can be taken. */
enum lethe_err lt_tmp_leftovers(const char *store_dir, size_t *count);

/*
 * Open object @p id for reading: O_RDONLY|O_NOFOLLOW|O_CLOEXEC; a symlink, directory or other
 * non-regular file is LETHE_ERR_INTEGRITY ("object file replaced by a directory"). A missing
 * one is LETHE_ERR_NOT_FOUND ("object file missing"): tampering if the object's row is still
 * live, the end of a race with a shred if not; only the caller can tell (by reading the row
 * again).
 */
enum lethe_err lt_obj_open(const char *store_dir, const char *id, int *fd);

/* Unlink object @p id's file (absent is fine) and fsync its directory. */
enum lethe_err lt_obj_unlink(const char *store_dir, const char *id);

/* Unlink object @p id's file without waiting for the disk: 0 when it is gone (or was absent),
 * else the errno of the unlink. A caller that unlinks many files makes them durable together
 * with lt_obj_unlinks_sync(). Records no error detail (see lt_obj_unlink_error()). */
int lt_obj_unlink_try(const char *store_dir, const char *id);

/* Record (and return) the error detail of an unlink of object @p id that failed with
 * @p errno_value: "DIR/objects/ab/cd/<id>.lth: unlink: Permission denied". */
enum lethe_err lt_obj_unlink_error(const char *store_dir, const char *id, int errno_value);

/*
 * Unlink the files of the @p n objects @p ids, several at a time, without waiting for the disk
 * (lt_obj_unlinks_sync() makes them durable). Where the filesystem trims freed blocks online
 * (mount -o discard, synchronous on ext4 without a journal), each unlink waits for the device;
 * keeping up to LT_OBJ_UNLINK_THREADS of them in flight hides that latency. Every file is
 * tried, whatever happens to the others (one file that cannot be unlinked must not keep the
 * rest): @p errnos (n entries) receives 0 for each file that is gone (or was absent), else
 * the errno of its unlink. Returns how many are gone.
 */
#define LT_OBJ_UNLINK_THREADS 16
size_t lt_obj_unlink_many(const char *store_dir, const char (*ids)[LETHE_ID_LEN + 1], size_t n,
			  int *errnos);

/*
 * Make every unlink done so far in the store durable, a crashed process's included: one
 * syncfs() of the store's filesystem, i.e. one journal commit and one cache flush for a whole
 * batch, where lt_obj_unlink() costs a directory fsync (a flush) per file.
 */
enum lethe_err lt_obj_unlinks_sync(const char *store_dir);

/* Each file under objects/ named like an object (fn gets the id and the path); files that are
 * not named like objects are reported with id NULL. Return non-zero from fn to stop. */
typedef int (*lt_obj_fn)(const char *id, const char *path, void *ctx);
enum lethe_err lt_obj_scan(const char *store_dir, lt_obj_fn fn, void *ctx);

#endif
