/* test_common_fsutil.c - full reads and writes, atomic files, and private-file refusals. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/fsutil.h"

struct dir {
	char path[512];
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/lethe-fsutil-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(d->path))
		return -1;
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static const char *in_dir(void **state, const char *name)
{
	static char buf[PATH_MAX];
	struct dir *d = *state;

	snprintf(buf, sizeof(buf), "%s/%s", d->path, name);
	return buf;
}

static void make_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret", 6), 6);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_private_file_accepted(void **state)
{
	const char *p = in_dir(state, "key");

	make_file(p, 0600);
	assert_int_equal(lt_check_private_file(p), LETHE_OK);
	make_file(p, 0400);
	assert_int_equal(lt_check_private_file(p), LETHE_OK);
}

static void expect_refused(const char *path, const char *fragment)
{
	int fd = 12345;

	assert_int_equal(lt_check_private_file(path), LETHE_ERR_PERMISSION);
	assert_non_null(strstr(lt_err_detail(), path));
	assert_non_null(strstr(lt_err_detail(), fragment));
	assert_int_equal(lt_open_private(path, O_RDONLY, &fd), LETHE_ERR_PERMISSION);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(lt_err_detail(), fragment));
}

static void test_private_file_loose_modes(void **state)
{
	static const mode_t loose[] = {0644, 0640, 0604, 0660, 0606, 0601, 0610, 0666, 0777};
	const char *p = in_dir(state, "key");

	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		make_file(p, loose[i]);
		expect_refused(p, "chmod 600");
	}
}

static void test_private_file_symlink(void **state)
{
	char target[PATH_MAX];

	snprintf(target, sizeof(target), "%s", in_dir(state, "real"));
	make_file(target, 0600);
	assert_int_equal(symlink(target, in_dir(state, "link")), 0);
	expect_refused(in_dir(state, "link"), "symbolic link");
}

static void test_private_file_not_regular(void **state)
{
	const char *p = in_dir(state, "sub");

	assert_int_equal(mkdir(p, 0700), 0);
	expect_refused(p, "not a regular file");
	p = in_dir(state, "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	assert_int_equal(lt_check_private_file(p), LETHE_ERR_PERMISSION);
}

static void test_private_file_other_owner(void **state)
{
	const char *p = in_dir(state, "key");

	if (geteuid() != 0)
		skip(); /* only root can give a file away */
	make_file(p, 0600);
	assert_int_equal(chown(p, 65534, 65534), 0);
	expect_refused(p, "owned by uid 65534");
}

static void test_private_file_missing(void **state)
{
	int fd = 7;

	assert_int_equal(lt_check_private_file(in_dir(state, "nope")), LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_open_private(in_dir(state, "nope"), O_RDONLY, &fd),
			 LETHE_ERR_NOT_FOUND);
	assert_int_equal(fd, -1);
}

static void test_open_private(void **state)
{
	const char *p = in_dir(state, "key");
	char buf[8] = {0};
	int fd = -1;

	make_file(p, 0600);
	assert_int_equal(lt_open_private(p, O_RDONLY, &fd), LETHE_OK);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "secret");
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_write_read_all(void **state)
{
	const char *p = in_dir(state, "data");
	static unsigned char out[1 << 20], in[(1 << 20) + 10];
	size_t got = 0;
	int fd;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char) (i * 31 + 7);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(lt_write_all(fd, out, sizeof(out)), LETHE_OK);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(lt_read_full(fd, in, sizeof(in), &got), LETHE_OK);
	assert_int_equal(got, sizeof(out));
	assert_memory_equal(in, out, sizeof(out));
	assert_int_equal(lt_pread_full(fd, in, 100, sizeof(out) - 40, &got), LETHE_OK);
	assert_int_equal(got, 40);
	assert_memory_equal(in, out + sizeof(out) - 40, 40);
	assert_int_equal(lt_pread_full(fd, in, 10, UINT64_MAX, &got), LETHE_ERR_INVALID);
	close(fd);
	/* A failing descriptor is an I/O error naming the call. */
	assert_int_equal(lt_write_all(-1, out, 1), LETHE_ERR_IO);
	assert_non_null(strstr(lt_err_detail(), "write"));
	assert_int_equal(lt_read_full(-1, in, 1, &got), LETHE_ERR_IO);
	assert_int_equal(got, 0);
}

static void test_write_nospc(void **state)
{
	int fd = open("/dev/full", O_WRONLY);

	(void) state;
	if (fd < 0)
		skip();
	assert_int_equal(lt_write_all(fd, "x", 1), LETHE_ERR_NOSPC);
	close(fd);
}

static void test_write_file_atomic(void **state)
{
	const char *p = in_dir(state, "conf");
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s", p);
	assert_int_equal(lt_write_file_atomic(path, "one", 3, 0640), LETHE_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(lt_write_file_atomic(path, "second", 6, 0600), LETHE_OK);
	assert_int_equal(lt_read_file(path, 100, &buf, &len), LETHE_OK);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "second");
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* No temporary file is left next to it. */
	char cmd[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q tmp", ((struct dir *) *state)->path);
	assert_int_not_equal(system(cmd), 0);
	assert_int_not_equal(lt_write_file_atomic(in_dir(state, "no/such/dir/f"), "x", 1, 0600),
			     LETHE_OK);
}

/* A new private file: 0600, its bytes durable, never over a file or through a link. */
static void test_write_file_new(void **state)
{
	char path[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	mode_t old = umask(022);

	snprintf(path, sizeof(path), "%s", in_dir(state, "new"));
	assert_int_equal(lt_write_file_new(path, "first", 5), LETHE_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(lt_write_file_new(path, "second", 6), LETHE_ERR_EXISTS);
	assert_non_null(strstr(lt_err_detail(), "already exists"));
	assert_int_equal(lt_read_file(path, 100, &buf, &len), LETHE_OK);
	assert_string_equal(buf, "first"); /* untouched */
	free(buf);

	snprintf(link, sizeof(link), "%s", in_dir(state, "link"));
	snprintf(target, sizeof(target), "%s", in_dir(state, "elsewhere"));
	assert_int_equal(symlink(target, link), 0);
	assert_int_not_equal(lt_write_file_new(link, "x", 1), LETHE_OK);
	assert_int_not_equal(access(target, F_OK), 0);
	assert_int_not_equal(lt_write_file_new(in_dir(state, "no/such/dir/f"), "x", 1), LETHE_OK);
	umask(old);
}

static void test_read_file_limit(void **state)
{
	char path[PATH_MAX];
	char *buf = (char *) 1;
	size_t len = 99;

	snprintf(path, sizeof(path), "%s", in_dir(state, "f"));
	make_file(path, 0600); /* "secret", 6 bytes */
	assert_int_equal(lt_read_file(path, 6, &buf, &len), LETHE_OK);
	assert_string_equal(buf, "secret");
	free(buf);
	assert_int_equal(lt_read_file(path, 5, &buf, &len), LETHE_ERR_INVALID);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_int_equal(lt_read_file(in_dir(state, "missing"), 5, &buf, &len),
			 LETHE_ERR_NOT_FOUND);
	assert_int_equal(lt_read_file(((struct dir *) *state)->path, 5, &buf, &len),
			 LETHE_ERR_INVALID);
}

static void test_mkdir_p_and_fsync_dir(void **state)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s", in_dir(state, "a/b//c/d/"));
	assert_int_equal(lt_mkdir_p(path, 0700), LETHE_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(lt_mkdir_p(path, 0700), LETHE_OK); /* idempotent */
	assert_int_equal(lt_fsync_dir(path), LETHE_OK);
	snprintf(path, sizeof(path), "%s", in_dir(state, "file"));
	make_file(path, 0600);
	snprintf(path, sizeof(path), "%s", in_dir(state, "file/sub"));
	assert_int_not_equal(lt_mkdir_p(path, 0700), LETHE_OK);
	assert_int_not_equal(lt_fsync_dir(in_dir(state, "missing")), LETHE_OK);
}

static void test_parent_dir(void **state)
{
	char dir[16];

	(void) state;
	assert_int_equal(lt_parent_dir("/a/b/c", dir, sizeof(dir)), LETHE_OK);
	assert_string_equal(dir, "/a/b");
	assert_int_equal(lt_parent_dir("/c", dir, sizeof(dir)), LETHE_OK);
	assert_string_equal(dir, "/");
	assert_int_equal(lt_parent_dir("c", dir, sizeof(dir)), LETHE_OK);
	assert_string_equal(dir, ".");
	assert_int_equal(lt_parent_dir("/a/bbbbbbbbbbbbbbbbbbbbbbbb/c", dir, sizeof(dir)),
			 LETHE_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_private_file_accepted, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_private_file_loose_modes, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_private_file_symlink, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_private_file_not_regular, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_private_file_other_owner, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_private_file_missing, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_open_private, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_write_read_all, dir_setup, dir_teardown),
	    cmocka_unit_test(test_write_nospc),
	    cmocka_unit_test_setup_teardown(test_write_file_atomic, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_write_file_new, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_read_file_limit, dir_setup, dir_teardown),
	    cmocka_unit_test_setup_teardown(test_mkdir_p_and_fsync_dir, dir_setup, dir_teardown),
	    cmocka_unit_test(test_parent_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
