/* test_keys_keyfile.c - the service keyfile: creation, exact size, private-file refusals. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "keys/keyfile.h"

struct fixture {
	char dir[256];
	char path[300];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/lethe-keyfile-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/service.key", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t) len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_create_read(void **state)
{
	struct fixture *f = *state;
	uint8_t key[32], again[32], other[32];
	struct stat st;

	assert_int_equal(lt_keyfile_create(f->path, key), LETHE_OK);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(lt_keyfile_read(f->path, again), LETHE_OK);
	assert_memory_equal(key, again, 32);
	/* Never over an existing file; a second keyfile is a different key. */
	assert_int_equal(lt_keyfile_create(f->path, other), LETHE_ERR_EXISTS);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(lt_keyfile_create(f->path, other), LETHE_OK);
	assert_memory_not_equal(key, other, 32);
}

static void test_create_refuses_symlink(void **state)
{
	struct fixture *f = *state;
	char target[320];
	uint8_t key[32];

	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_not_equal(lt_keyfile_create(f->path, key), LETHE_OK);
	assert_int_not_equal(access(target, F_OK), 0);
}

static void test_wrong_size(void **state)
{
	struct fixture *f = *state;
	uint8_t data[33] = {1, 2, 3};
	uint8_t key[32];

	write_file(f->path, data, 31, 0600);
	assert_int_equal(lt_keyfile_read(f->path, key), LETHE_ERR_UNLOCK);
	assert_non_null(strstr(lt_err_detail(), "shorter than 32 bytes"));
	write_file(f->path, data, 33, 0600);
	assert_int_equal(lt_keyfile_read(f->path, key), LETHE_ERR_UNLOCK);
	assert_non_null(strstr(lt_err_detail(), "longer than 32 bytes"));
	write_file(f->path, data, 0, 0600);
	assert_int_equal(lt_keyfile_read(f->path, key), LETHE_ERR_UNLOCK);
	write_file(f->path, data, 32, 0600);
	assert_int_equal(lt_keyfile_read(f->path, key), LETHE_OK);
	assert_memory_equal(key, data, 32);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	uint8_t data[32] = {0};
	uint8_t key[32];
	char link[320];

	assert_int_equal(lt_keyfile_read(f->path, key), LETHE_ERR_NOT_FOUND);
	write_file(f->path, data, 32, 0644);
	assert_int_equal(lt_keyfile_read(f->path, key), LETHE_ERR_PERMISSION);
	assert_non_null(strstr(lt_err_detail(), "chmod 600"));
	write_file(f->path, data, 32, 0640);
	assert_int_equal(lt_keyfile_read(f->path, key), LETHE_ERR_PERMISSION);
	write_file(f->path, data, 32, 0600);
	snprintf(link, sizeof(link), "%s/link.key", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(lt_keyfile_read(link, key), LETHE_ERR_PERMISSION);
	assert_non_null(strstr(lt_err_detail(), "symbolic link"));
	if (geteuid() == 0) {
		assert_int_equal(chown(f->path, 65534, 65534), 0);
		assert_int_equal(lt_keyfile_read(f->path, key), LETHE_ERR_PERMISSION);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_refuses_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
