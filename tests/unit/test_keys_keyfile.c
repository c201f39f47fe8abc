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
#include "tests/unit/keys_fixture.h"

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
	struct keys_fixture *f = *state;
	uint8_t key[32], again[32], other[32];
	struct stat st;

	assert_int_equal(lt_keyfile_create(f->keyfile, key), LETHE_OK);
	assert_int_equal(stat(f->keyfile, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
	assert_int_equal(lt_keyfile_read(f->keyfile, again), LETHE_OK);
	assert_memory_equal(key, again, 32);
	/* Never over an existing file; a second keyfile is a different key. */
	assert_int_equal(lt_keyfile_create(f->keyfile, other), LETHE_ERR_EXISTS);
	assert_int_equal(unlink(f->keyfile), 0);
	assert_int_equal(lt_keyfile_create(f->keyfile, other), LETHE_OK);
	assert_memory_not_equal(key, other, 32);
}

static void test_create_refuses_symlink(void **state)
{
	struct keys_fixture *f = *state;
	char target[320];
	uint8_t key[32];

	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	assert_int_equal(symlink(target, f->keyfile), 0);
	assert_int_not_equal(lt_keyfile_create(f->keyfile, key), LETHE_OK);
	assert_int_not_equal(access(target, F_OK), 0);
}

static void test_wrong_size(void **state)
{
	struct keys_fixture *f = *state;
	uint8_t data[33] = {1, 2, 3};
	uint8_t key[32];

	write_file(f->keyfile, data, 31, 0600);
	assert_int_equal(lt_keyfile_read(f->keyfile, key), LETHE_ERR_UNLOCK);
	assert_non_null(strstr(lt_err_detail(), "shorter than 32 bytes"));
	write_file(f->keyfile, data, 33, 0600);
	assert_int_equal(lt_keyfile_read(f->keyfile, key), LETHE_ERR_UNLOCK);
	assert_non_null(strstr(lt_err_detail(), "longer than 32 bytes"));
	write_file(f->keyfile, data, 0, 0600);
	assert_int_equal(lt_keyfile_read(f->keyfile, key), LETHE_ERR_UNLOCK);
	write_file(f->keyfile, data, 32, 0600);
	assert_int_equal(lt_keyfile_read(f->keyfile, key), LETHE_OK);
	assert_memory_equal(key, data, 32);
}

static void test_refusals(void **state)
{
	struct keys_fixture *f = *state;
	uint8_t data[32] = {0};
	uint8_t key[32];
	char link[320];

	assert_int_equal(lt_keyfile_read(f->keyfile, key), LETHE_ERR_NOT_FOUND);
	write_file(f->keyfile, data, 32, 0644);
	assert_int_equal(lt_keyfile_read(f->keyfile, key), LETHE_ERR_PERMISSION);
	assert_non_null(strstr(lt_err_detail(), "chmod 600"));
	write_file(f->keyfile, data, 32, 0640);
	assert_int_equal(lt_keyfile_read(f->keyfile, key), LETHE_ERR_PERMISSION);
	write_file(f->keyfile, data, 32, 0600);
	snprintf(link, sizeof(link), "%s/link.key", f->dir);
	assert_int_equal(symlink(f->keyfile, link), 0);
	assert_int_equal(lt_keyfile_read(link, key), LETHE_ERR_PERMISSION);
	assert_non_null(strstr(lt_err_detail(), "symbolic link"));
	if (geteuid() == 0) {
		assert_int_equal(chown(f->keyfile, 65534, 65534), 0);
		assert_int_equal(lt_keyfile_read(f->keyfile, key), LETHE_ERR_PERMISSION);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_read, keys_setup_dir, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_create_refuses_symlink, keys_setup_dir,
					    keys_teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_size, keys_setup_dir, keys_teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, keys_setup_dir, keys_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
