/* test_store_objfile.c - unit tests of store/objfile.c: layout, staging and commit, refusals on
 * open, recovery of staged files (locked ones are left alone), scan of objects/, unlinks that
 * go on past a file that cannot be unlinked, the store's own directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "store/objfile.h"

#define ID1 "3f1c0a9e-1234-4abc-8def-0123456789ab"
#define ID2 "3f1c77aa-0000-4000-8000-000000000002"
#define ID3 "a0b1c2d3-0000-4000-8000-000000000003"

struct fx {
	char dir[64];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static void mkdir_in(const char *dir, const char *name)
{
	char path[LT_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/lt_store_obj_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	mkdir_in(f->dir, "objects");
	mkdir_in(f->dir, "tmp");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Stage @p text as object @p id and link it into place; the staged fd stays open. */
static int put_file(const char *dir, const char *id, const char *text, char *tmp, size_t len)
{
	int fd = -1;

	assert_int_equal(lt_obj_tmp_create(dir, id, tmp, len, &fd), LETHE_OK);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	assert_int_equal(lt_obj_commit(dir, tmp, fd, id), LETHE_OK);
	return fd;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void test_id_and_path(void **state)
{
	struct fx *f = *state;
	char path[LT_PATH_MAX];

	assert_true(lt_obj_id_valid(ID1));
	assert_false(lt_obj_id_valid("3F1C0A9E-1234-4abc-8def-0123456789ab"));  /* upper case */
	assert_false(lt_obj_id_valid("3f1c0a9e-1234-4abc-8def-0123456789a"));   /* short */
	assert_false(lt_obj_id_valid("3f1c0a9e-1234-4abc-8def-0123456789abc")); /* long */
	assert_false(lt_obj_id_valid("3f1c0a9e-1234-4abc-8def_0123456789ab"));
	assert_false(lt_obj_id_valid("../../../../../../etc/passwd.xxxxxxxxxx"));
	assert_false(lt_obj_id_valid(""));
	assert_false(lt_obj_id_valid(NULL));
	assert_int_equal(lt_obj_path("/s", ID1, path, sizeof(path)), LETHE_OK);
	assert_string_equal(path, "/s/objects/3f/1c/" ID1 ".lth");
	assert_int_equal(lt_obj_path("/s", "../x", path, sizeof(path)), LETHE_ERR_INVALID);
	assert_int_equal(lt_obj_path("/s", ID1, path, 20), LETHE_ERR_INVALID);
	{
		int fd = -1;

		assert_int_equal(lt_obj_tmp_create(f->dir, "nope", path, sizeof(path), &fd),
				 LETHE_ERR_INVALID);
		assert_int_equal(fd, -1);
	}
}

static void test_stage_commit_open_unlink(void **state)
{
	struct fx *f = *state;
	char tmp[LT_PATH_MAX], path[LT_PATH_MAX], buf[64];
	struct stat st;
	int fd, rfd = -1;

	fd = put_file(f->dir, ID1, "ciphertext", tmp, sizeof(tmp));
	assert_int_equal(stat(tmp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_nlink, 2); /* staged name and object name: one inode */
	snprintf(path, sizeof(path), "%s/objects/3f/1c", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* the staged file stays, locked, until release */
	{
		int other = open(tmp, O_RDONLY);

		assert_true(other >= 0);
		assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
		assert_int_equal(errno, EWOULDBLOCK);
		close(other);
	}
	lt_obj_tmp_release(tmp, fd);
	assert_false(exists(tmp));

	assert_int_equal(lt_obj_open(f->dir, ID1, &rfd), LETHE_OK);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(rfd, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "ciphertext");
	assert_int_equal(fcntl(rfd, F_GETFL) & O_NONBLOCK, 0);
	close(rfd);

	assert_int_equal(lt_obj_unlink(f->dir, ID1), LETHE_OK);
	assert_int_equal(lt_obj_open(f->dir, ID1, &rfd), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_obj_unlink(f->dir, ID1), LETHE_OK); /* absent is fine */
	assert_int_equal(lt_obj_unlink(f->dir, ID3), LETHE_OK); /* so is an absent directory */
}

static void test_commit_refuses_existing(void **state)
{
	struct fx *f = *state;
	char tmp[LT_PATH_MAX], tmp2[LT_PATH_MAX], buf[16];
	int fd, fd2 = -1, rfd = -1;

	fd = put_file(f->dir, ID1, "first", tmp, sizeof(tmp));
	lt_obj_tmp_release(tmp, fd);
	/* a second staging of the same id is refused at once while one is staged */
	assert_int_equal(lt_obj_tmp_create(f->dir, ID1, tmp2, sizeof(tmp2), &fd2), LETHE_OK);
	assert_int_equal(lt_obj_tmp_create(f->dir, ID1, tmp, sizeof(tmp), &fd), LETHE_ERR_EXISTS);
	assert_int_equal(write(fd2, "second", 6), 6);
	assert_int_equal(lt_obj_commit(f->dir, tmp2, fd2, ID1), LETHE_ERR_EXISTS);
	lt_obj_tmp_release(tmp2, fd2);
	assert_int_equal(lt_obj_open(f->dir, ID1, &rfd), LETHE_OK);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(read(rfd, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "first");
	close(rfd);
}

static void test_open_refusals(void **state)
{
	struct fx *f = *state;
	char path[LT_PATH_MAX], dir[LT_PATH_MAX];
	int fd = 7;

	/* missing: whether that is tampering is for the caller to decide, from the row */
	assert_int_equal(lt_obj_open(f->dir, ID1, &fd), LETHE_ERR_NOT_FOUND);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(lt_err_detail(), "object file missing"));
	assert_int_equal(lt_obj_open(f->dir, "bad", &fd), LETHE_ERR_INVALID);

	snprintf(dir, sizeof(dir), "%s/objects/3f", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/objects/3f/1c", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(lt_obj_path(f->dir, ID1, path, sizeof(path)), LETHE_OK);

	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(lt_obj_open(f->dir, ID1, &fd), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "symlink"));
	assert_int_equal(unlink(path), 0);

	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(lt_obj_open(f->dir, ID1, &fd), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "directory"));
	assert_int_equal(rmdir(path), 0);

	/* a FIFO is refused, not opened (which would block) */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(lt_obj_open(f->dir, ID1, &fd), LETHE_ERR_INTEGRITY);
	assert_non_null(strstr(lt_err_detail(), "FIFO"));
	assert_int_equal(fd, -1);
}

/* committed(): the ids listed in ctx have rows. */
static int committed_if_listed(const char *id, void *ctx)
{
	const char *const *ids = ctx;

	for (; *ids; ids++)
		if (strcmp(*ids, id) == 0)
			return 1;
	return 0;
}

/* A dead put: stage, write, link, and "crash" (close without release: the lock goes). */
static void dead_put(const char *dir, const char *id, bool linked)
{
	char tmp[LT_PATH_MAX];
	int fd = -1;

	assert_int_equal(lt_obj_tmp_create(dir, id, tmp, sizeof(tmp), &fd), LETHE_OK);
	assert_int_equal(write(fd, "data", 4), 4);
	if (linked)
		assert_int_equal(lt_obj_commit(dir, tmp, fd, id), LETHE_OK);
	close(fd);
}

static void test_recover(void **state)
{
	struct fx *f = *state;
	const char *rows[] = {ID2, NULL};
	char path[LT_PATH_MAX], live_tmp[LT_PATH_MAX], stray[LT_PATH_MAX], young[LT_PATH_MAX];
	size_t n = 99;
	int live_fd, fd;

	dead_put(f->dir, ID1, true);  /* died before its row: file and staged name go */
	dead_put(f->dir, ID2, true);  /* died after its row: only the staged name goes */
	dead_put(f->dir, ID3, false); /* died before the link */
	/* a put in progress in this very process holds its lock: left alone */
	live_fd = put_file(f->dir, "00000000-0000-4000-8000-0000000000aa", "x", live_tmp,
			   sizeof(live_tmp));
	/* an unlocked stray with content: removed */
	snprintf(stray, sizeof(stray), "%s/tmp/leftover.bin", f->dir);
	fd = open(stray, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "zz", 2), 2);
	close(fd);
	/* empty and young: maybe between another process's open and flock: left alone */
	snprintf(young, sizeof(young), "%s/tmp/00000000-0000-4000-8000-0000000000bb.tmp", f->dir);
	fd = open(young, O_WRONLY | O_CREAT, 0600);
	close(fd);

	assert_int_equal(lt_tmp_leftovers(f->dir, &n), LETHE_OK);
	assert_int_equal(n, 4);
	assert_int_equal(lt_tmp_recover(f->dir, committed_if_listed, rows, &n), LETHE_OK);
	assert_int_equal(n, 4);

	assert_int_equal(lt_obj_path(f->dir, ID1, path, sizeof(path)), LETHE_OK);
	assert_false(exists(path));
	assert_int_equal(lt_obj_path(f->dir, ID2, path, sizeof(path)), LETHE_OK);
	assert_true(exists(path));
	snprintf(path, sizeof(path), "%s/tmp/" ID1 ".tmp", f->dir);
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s/tmp/" ID2 ".tmp", f->dir);
	assert_false(exists(path));
	snprintf(path, sizeof(path), "%s/tmp/" ID3 ".tmp", f->dir);
	assert_false(exists(path));
	assert_false(exists(stray));
	assert_true(exists(live_tmp));
	assert_true(exists(young));
	assert_int_equal(
	    lt_obj_path(f->dir, "00000000-0000-4000-8000-0000000000aa", path, sizeof(path)),
	    LETHE_OK);
	assert_true(exists(path));

	assert_int_equal(lt_tmp_leftovers(f->dir, &n), LETHE_OK);
	assert_int_equal(n, 0);
	lt_obj_tmp_release(live_tmp, live_fd);
	assert_false(exists(live_tmp));
}

/* Recovery never removes an object file that is not the staged file's inode. */
static void test_recover_keeps_other_inode(void **state)
{
	struct fx *f = *state;
	const char *rows[] = {NULL};
	char path[LT_PATH_MAX], tmp[LT_PATH_MAX];
	size_t n = 0;
	int fd;

	fd = put_file(f->dir, ID1, "real object", tmp, sizeof(tmp));
	lt_obj_tmp_release(tmp, fd);
	/* a staged file of the same id that is a different inode (never linked) */
	dead_put(f->dir, ID1, false);
	assert_int_equal(lt_tmp_recover(f->dir, committed_if_listed, rows, &n), LETHE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(lt_obj_path(f->dir, ID1, path, sizeof(path)), LETHE_OK);
	assert_true(exists(path));
}

/* Another process's put in progress is left alone too. */
static void test_recover_other_process(void **state)
{
	struct fx *f = *state;
	const char *rows[] = {NULL};
	char tmp[LT_PATH_MAX];
	int p[2], q[2], status;
	size_t n = 9;
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = -1;

		if (lt_obj_tmp_create(f->dir, ID1, tmp, sizeof(tmp), &fd) != LETHE_OK ||
		    write(fd, "abc", 3) != 3 || write(p[1], "k", 1) != 1 || read(q[0], &c, 1) != 1)
			_exit(1);
		lt_obj_tmp_release(tmp, fd);
		_exit(0);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(lt_tmp_recover(f->dir, committed_if_listed, rows, &n), LETHE_OK);
	assert_int_equal(n, 0);
	snprintf(tmp, sizeof(tmp), "%s/tmp/" ID1 ".tmp", f->dir);
	assert_true(exists(tmp));
	assert_int_equal(write(q[1], "k", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_false(exists(tmp));
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

struct seen {
	int objects, strays;
	bool id1, id2;
	char stray_paths[8][LT_PATH_MAX];
};

static int record(const char *id, const char *path, void *ctx)
{
	struct seen *s = ctx;

	if (id) {
		s->objects++;
		s->id1 |= strcmp(id, ID1) == 0;
		s->id2 |= strcmp(id, ID2) == 0;
		assert_non_null(strstr(path, id));
	} else {
		assert_true(s->strays < 8);
		snprintf(s->stray_paths[s->strays++], LT_PATH_MAX, "%s", path);
	}
	return 0;
}

static bool stray_seen(const struct seen *s, const char *suffix)
{
	for (int i = 0; i < s->strays; i++) {
		size_t a = strlen(s->stray_paths[i]), b = strlen(suffix);

		if (a >= b && strcmp(s->stray_paths[i] + a - b, suffix) == 0)
			return true;
	}
	return false;
}

static void touch(const char *dir, const char *rel)
{
	char path[LT_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void test_scan(void **state)
{
	struct fx *f = *state;
	struct seen s;
	char tmp[LT_PATH_MAX], path[LT_PATH_MAX];
	int fd;

	fd = put_file(f->dir, ID1, "a", tmp, sizeof(tmp));
	lt_obj_tmp_release(tmp, fd);
	fd = put_file(f->dir, ID2, "b", tmp, sizeof(tmp));
	lt_obj_tmp_release(tmp, fd);
	touch(f->dir, "objects/3f/1c/notes.txt");   /* misnamed */
	touch(f->dir, "objects/3f/1c/" ID3 ".lth"); /* in the wrong fan-out dir */
	touch(f->dir, "objects/3f/loose");          /* a file at level 1 */
	mkdir_in(f->dir, "objects/zz");             /* not hex */
	mkdir_in(f->dir, "objects/3f/1c/"
			 "a0b1c2d3-0000-4000-8000-000000000009.lth"); /* dir */
	snprintf(path, sizeof(path), "%s/objects/3f/1c/a0b1c2d3-0000-4000-8000-00000000000a.lth",
		 f->dir);
	assert_int_equal(symlink("/etc/passwd", path), 0); /* a symlink */

	memset(&s, 0, sizeof(s));
	assert_int_equal(lt_obj_scan(f->dir, record, &s), LETHE_OK);
	assert_int_equal(s.objects, 2);
	assert_true(s.id1 && s.id2);
	assert_int_equal(s.strays, 6);
	assert_true(stray_seen(&s, "/objects/3f/1c/notes.txt"));
	assert_true(stray_seen(&s, "/objects/3f/1c/" ID3 ".lth"));
	assert_true(stray_seen(&s, "/objects/3f/loose"));
	assert_true(stray_seen(&s, "/objects/zz"));
	assert_true(stray_seen(&s, "0009.lth"));
	assert_true(stray_seen(&s, "000a.lth"));
}

static int stop_first(const char *id, const char *path, void *ctx)
{
	(void) id;
	(void) path;
	(*(int *) ctx)++;
	return 1;
}

static void test_scan_stops_and_needs_objects(void **state)
{
	struct fx *f = *state;
	char tmp[LT_PATH_MAX], other[LT_PATH_MAX];
	int calls = 0, fd;

	fd = put_file(f->dir, ID1, "a", tmp, sizeof(tmp));
	lt_obj_tmp_release(tmp, fd);
	fd = put_file(f->dir, ID3, "c", tmp, sizeof(tmp));
	lt_obj_tmp_release(tmp, fd);
	assert_int_equal(lt_obj_scan(f->dir, stop_first, &calls), LETHE_OK);
	assert_int_equal(calls, 1);
	snprintf(other, sizeof(other), "%s/none", f->dir);
	assert_int_equal(lt_obj_scan(other, stop_first, &calls), LETHE_ERR_IO);
	/* recovery of a store without tmp/ has nothing to do */
	{
		size_t n = 9;

		assert_int_equal(
		    lt_tmp_recover(other, committed_if_listed, (void *) (const char *[]){NULL}, &n),
		    LETHE_OK);
		assert_int_equal(n, 0);
	}
}

/* One file that cannot be unlinked (here a directory under its name: EISDIR, even for root)
 * keeps none of the others. */
static void test_unlink_many_tries_every_file(void **state)
{
	struct fx *f = *state;
	static const char ids[4][LETHE_ID_LEN + 1] = {ID1, ID2, ID3,
						      "a0b1c2d3-0000-4000-8000-000000000004"};
	char tmp[LT_PATH_MAX], path[LT_PATH_MAX];
	int errnos[4] = {-1, -1, -1, -1};
	int fd;

	fd = put_file(f->dir, ID1, "a", tmp, sizeof(tmp));
	lt_obj_tmp_release(tmp, fd);
	fd = put_file(f->dir, ID3, "c", tmp, sizeof(tmp));
	lt_obj_tmp_release(tmp, fd);
	/* ID2: a directory where its file would be; the fourth: absent */
	mkdir_in(f->dir, "objects/3f/1c/" ID2 ".lth");
	assert_int_equal(lt_obj_unlink_many(f->dir, ids, 4, errnos), 3);
	assert_int_equal(errnos[0], 0);
	assert_int_not_equal(errnos[1], 0);
	assert_int_equal(errnos[2], 0);
	assert_int_equal(errnos[3], 0);
	assert_int_equal(lt_obj_path(f->dir, ID1, path, sizeof(path)), LETHE_OK);
	assert_false(exists(path));
	assert_int_equal(lt_obj_path(f->dir, ID3, path, sizeof(path)), LETHE_OK);
	assert_false(exists(path));
	assert_int_equal(lt_obj_unlinks_sync(f->dir), LETHE_OK);
	assert_int_equal(lt_obj_unlink_try(f->dir, ID2), errnos[1]);
	assert_int_equal(lt_obj_unlink_error(f->dir, ID2, errnos[1]), LETHE_ERR_IO);
	assert_non_null(strstr(lt_err_detail(), ID2 ".lth: unlink: "));
}

/* objects/ and tmp/ come back, 0700 whatever the umask; existing ones are left alone. */
static void test_dirs_ensure(void **state)
{
	struct fx *f = *state;
	char path[LT_PATH_MAX], tmp[LT_PATH_MAX];
	struct stat st;
	mode_t old;
	int fd;

	snprintf(path, sizeof(path), "%s/tmp", f->dir);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(lt_obj_tmp_create(f->dir, ID1, tmp, sizeof(tmp), &fd), LETHE_ERR_IO);
	old = umask(0277); /* would leave the owner unable to write */
	assert_int_equal(lt_obj_dirs_ensure(f->dir), LETHE_OK);
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(lt_obj_tmp_create(f->dir, ID1, tmp, sizeof(tmp), &fd), LETHE_OK);
	assert_true(lt_obj_staged(f->dir, ID1));
	assert_false(lt_obj_staged(f->dir, ID2));
	lt_obj_tmp_release(tmp, fd);
	assert_false(lt_obj_staged(f->dir, ID1));

	snprintf(path, sizeof(path), "%s/objects", f->dir);
	assert_int_equal(chmod(path, 0750), 0);
	assert_int_equal(lt_obj_dirs_ensure(f->dir), LETHE_OK);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_id_and_path, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stage_commit_open_unlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_refuses_existing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recover_keeps_other_inode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recover_other_process, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_scan_stops_and_needs_objects, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unlink_many_tries_every_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirs_ensure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
